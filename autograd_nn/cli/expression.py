"""Safe parsing of the command line's expressions, e.g. ``"tanh(w1*x1 + w2*x2 + b)"``.

The text is read by a small parser of its own (Python's operator rules, never ``eval``): numbers, variable names,
``+ - * / **``, unary minus and plus, parentheses and calls of the engine's built-in ops, and nothing else.

The parser uses explicit stacks, not recursion, so a sum of 50,000 terms or 10,000 nested parentheses is no
RecursionError (Python's own ``ast.parse`` gives up on a few thousand); the only limit is :data:`MAX_LENGTH`
characters. The expression becomes the project's one program record, a :class:`~autograd_nn.tape.program.Program`
(ops over numbered slots: the variables and the constants, then one equation per operation on a variable), and
``Expression.build`` is that program's one rebuild on Values. Every operation goes through the engine's checked
ops, on Values and on plain numbers alike: ``1/0``, ``0**-1``, ``(-8)**0.5`` and ``9**9**9`` are DomainErrors
naming the op, never Python's ZeroDivisionError, complex numbers or OverflowError; one in a sub-expression of
numbers only is raised by ``build``, where Python would raise it.

Constants are evaluated as Python evaluates them: a whole number written without a point or exponent (``10``)
is an integer, and integers are added, subtracted, multiplied, negated and raised to whole powers ≥ 0 exactly,
so ``x + (10**16 + 1 - 10**16)`` adds 1 and ``x * 10**23`` multiplies by the float nearest 10²³, as in Python;
``/``, a negative exponent, a function or a float or Value operand makes a float of the integer first (correctly
rounded; one beyond about 1.8e308 is a DomainError). An integer result of more than MAX_DIGITS digits (Python's
limit for reading an integer) is refused rather than computed. As in Python, ``07`` (a leading zero) is no
number and ``x²`` no name: both are refused at their column.

The functions come from the op table: every op that is a public function can be called by its op name, with
as many arguments as it takes, e.g. ``abs(x)``, ``softplus(x)``, ``maximum(x, y)``, ``lt(x, y)``.
"""

from __future__ import annotations

import keyword
import math
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ..engine import BUILTIN_OPS, DomainError, Op, Value
from ..engine.ops import ADD, ATOM, DIV, MUL, NEG, POW, SUB, power_op
from ..tape.program import Equation, Program
from .args import NUMBER

# The functions an expression may call: every built-in op that is a public function, by its op name (the name
# formulas are written with, so a printed formula reads back).
FUNCTIONS: dict[str, Op] = {op.name: op for op in BUILTIN_OPS.values() if op.function}

MAX_LENGTH = 100_000  # characters: a sum of 50,000 terms (x+x+…) fits; parsing is linear, so is the graph
MAX_LABEL = 24  # longer sub-expressions stay unlabelled: a picture's record would get too wide
ECHO = 60  # at most this many characters of the user's text are repeated in a message
MAX_DIGITS = 4300  # an integer constant (written, or computed exactly) has at most this many digits, as Python reads
_MAX_BITS = math.ceil(MAX_DIGITS * math.log2(10))  # … about this many bits; a larger result is refused

_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "**": 4}  # Python's; unary minus and plus bind at 3
_UNARY = 3
_BINARY_OPS: dict[str, Op] = {"+": ADD, "-": SUB, "*": MUL, "/": DIV, "**": POW}
_UNSUPPORTED = {"//", "%", "@", "<<", ">>", "&", "|", "^", "~", "<", ">", "<=", ">=", "==", "!=", "and", "or",
                "not", "in", "is"}

# One token at a time: the groups say what it is. Numbers are ASCII decimals (2, 0.5, .5, 1e-3); a number run
# on into letters, digits, '_' or '.' (2x, 1_000, 0x10, 1j, 1.2.3) is refused whole. Names are Python identifiers.
_TOKEN = re.compile(r"""
    (?P<space>[ \t\r\n\f\v]+)
  | (?P<number>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)(?P<runon>[\w.]*)
  | (?P<name>[^\W\d]\w*)
  | (?P<op>\*\*=?|//=?|<<=?|>>=?|[-+*/%@&|^]=|<=|>=|==|!=|->|:=|\.\.\.|[-+*/(),%@&|^~<>=.\[\]{}:;!])
  | (?P<quote>['"])
""", re.VERBOSE)


class ExpressionError(ValueError):
    """The expression text cannot be used; the message points at the problem."""


def shown(text: str, column: int | None = None, limit: int = ECHO) -> str:
    """The user's text for a one-line message: its repr, or for a long text about ``limit`` characters of it
    around ``column`` (1-based; the start if None), cut with '…', and its length: '…x+x+)+x…' (10,001 characters).
    """
    if len(text) <= limit:
        return repr(text)
    start = 0 if column is None else max(0, min(column - 1 - limit // 2, len(text) - limit))
    piece = ("…" if start > 0 else "") + text[start:start + limit] + ("…" if start + limit < len(text) else "")
    return f"{piece!r} ({len(text):,} characters)"


def _where(text: str, column: int) -> str:
    return f" (at column {column:,} of {shown(text, column)})"


@dataclass(frozen=True)
class _Step:
    """One operation of the parser's postfix output, applied to the ``count`` values on top of the stack.
    ``column`` (1-based) is where it stands in the text, for messages."""

    kind: str  # "neg", "binary" (symbol in ``what``) or "call" (function name in ``what``)
    what: str
    column: int
    count: int


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its text, the variable names it uses (in order of appearance) and its graph as the
    project's one program record, a :class:`~autograd_nn.tape.program.Program` (ops over numbered slots).

    The program's input slots are the variables and the constants in order of appearance (``leaves[i]``: input
    slot i's variable name, or its number: each sub-expression of numbers only is evaluated already, see the module
    doc); each of its equations is one operation on a variable's value, and ``columns[k]`` and ``labels[k]`` are
    equation k's column in the text and its sub-expression's text (None when too long). A sub-expression of numbers
    only that the ops refuse (``1/0``) is kept as ``refused``, its message, and the program then holds the
    equations Python evaluates before it: :meth:`build` raises it where Python would.
    """

    text: str
    variables: tuple[str, ...]
    program: Program
    leaves: tuple[str | int | float, ...]
    columns: tuple[int, ...]
    labels: tuple[str | None, ...]
    operations: int
    """How many operations it applies (+, *, calls, unary minus, …): about the size of the graph it builds."""
    depth: int
    """How deeply its operations nest: 1 for a number or a name, 1 + the deepest operand's for an operation (a
    chain x + x + … + x of n terms is n deep, a balanced sum of n terms about log₂ n)."""
    refused: str | None = None

    def where(self, column: int) -> str:
        """' (at column 5 of 'x + foo(y)')': where a problem stands, for a one-line message."""
        return _where(self.text, column)

    def build(self, values: Mapping[str, Value], label_nodes: bool = False) -> Value:
        """Evaluate the expression on Values (one per variable), recording the computation graph: the program
        rebuilt on them (``Program.rebuild``, each op with its checks).

        A DomainError names the op and its operands and says where in the expression it stands. ``label_nodes``
        labels each intermediate Value with its sub-expression (e.g. "(w * x)"), when short, so pictures and
        derivations name the nodes the way the user wrote them.
        """
        missing = [name for name in self.variables if name not in values]
        if missing:
            more = f" … ({len(missing):,} in all)" if len(missing) > 10 else ""
            raise ExpressionError(f"no value given for {', '.join(missing[:10])}{more}: add "
                                  + " ".join(f"{name}=NUMBER" for name in missing[:10]) + more)
        done = 0  # equations evaluated so far: the next one is the one that may fail
        labels = self.labels

        def on_node(slot: int, node: Value) -> None:
            nonlocal done
            label = labels[done]
            done += 1
            if label_nodes and label is not None and isinstance(node, Value) and node.op is not None \
                    and not node.label:
                node.label = label

        inputs = [values[leaf] if type(leaf) is str else leaf for leaf in self.leaves]
        try:
            slots = self.program.rebuild(inputs, on_node=on_node)
        except DomainError as exc:
            raise DomainError(f"{exc}{self.where(self.columns[done])}") from None
        if self.refused is not None:
            raise DomainError(self.refused)
        if not self.variables:
            raise ExpressionError(f"{shown(self.text)} uses no variable: there is nothing to differentiate")
        result: Value = slots[self.program.root]
        return result


# An entry of _Compiler's stack: (slot, number, text, depth). ``slot`` is an input slot i encoded as ~i (a
# variable's), equation k's result as k, or None for a number not yet given a slot (``number``); ``text`` is the
# sub-expression's text and precedence (None when too long for a label), ``depth`` how deeply it nests.
_Operand = tuple[int | None, int | float, tuple[str, int] | None, int]


class _Compiler:
    """The parser's postfix steps, as they come → the :class:`Expression`'s program. A step on numbers only is
    evaluated here (as Python evaluates it, see the module doc); a step on a variable's value becomes an equation,
    its number operands input slots. After a refused step the rest is only counted, not compiled."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.variables: dict[str, int] = {}  # name → input slot
        self.leaves: list[str | int | float] = []  # each input slot's variable name or number
        self.equations: list[tuple[Op, tuple[int, ...]]] = []  # over encoded slots (see _Operand)
        self.columns: list[int] = []
        self.labels: list[str | None] = []
        self.stack: list[_Operand] = []
        self.operations = 0
        self.refused: str | None = None

    def number(self, text: str, number: int | float) -> None:
        self.stack.append((None, number, (text, ATOM), 1))

    def name(self, name: str) -> None:
        i = self.variables.get(name)
        if i is None:
            i = self.variables[name] = len(self.leaves)
            self.leaves.append(name)
        self.stack.append((~i, 0.0, (name, ATOM), 1))

    def plus(self) -> None:
        """Unary +: x itself; only its text changes."""
        slot, number, text, depth = self.stack[-1]
        text = None if text is None else (f"+{_wrapped(text, text[1] < _UNARY)}", _UNARY)
        self.stack[-1] = (slot, number, text, depth)

    def apply(self, step: _Step) -> None:
        """An operation on the ``step.count`` entries on top of the stack."""
        stack = self.stack
        self.operations += 1
        n = step.count
        operands = stack[len(stack) - n:]
        del stack[len(stack) - n:]
        depth = 1 + max([o[3] for o in operands])
        if self.refused is not None:  # after a refused step, only counted (operations, depth)
            stack.append((None, 0.0, None, depth))
            return
        texts = [o[2] for o in operands]
        text = None if None in texts else _formula(step, texts)
        try:
            if all([o[0] is None for o in operands]):
                stack.append((None, _apply(step, [o[1] for o in operands]), text, depth))
                return
            numbers = [None if o[0] is not None else _as_float(step, o[1]) for o in operands]
            op, n = _op_of(step, numbers[-1])
        except DomainError as exc:
            self.refused = f"{exc}{_where(self.text, step.column)}"
            stack.append((None, 0.0, None, depth))
            return
        slots: list[int] = []
        for (slot, _, _, _), constant in zip(operands[:n], numbers):
            if slot is None:  # a number: a new input slot
                slot = ~len(self.leaves)
                self.leaves.append(constant)  # type: ignore[arg-type]
            slots.append(slot)
        self.equations.append((op, tuple(slots)))
        self.columns.append(step.column)
        if text is not None:
            label = f"({text[0]})" if step.kind in ("binary", "neg") else text[0]
            self.labels.append(label if len(label) <= MAX_LABEL else None)
        else:
            self.labels.append(None)
        stack.append((len(self.equations) - 1, 0.0, text, depth))

    def expression(self) -> Expression:
        """The compiled expression (after the last step)."""
        root = None
        if self.refused is None:
            ((root, number, _, _),) = self.stack
            if root is None:  # numbers only: build refuses it (nothing to differentiate)
                root = ~len(self.leaves)
                self.leaves.append(number)
        n_inputs = len(self.leaves)
        equations = tuple(Equation(n_inputs + k, op, tuple([a + n_inputs if a >= 0 else ~a for a in args]))
                          for k, (op, args) in enumerate(self.equations))
        # A refused expression's program holds the equations evaluated before the refused step (its root: the
        # last one's slot; no slot at all for a refused expression of numbers only).
        at = (root + n_inputs if root >= 0 else ~root) if root is not None else max(n_inputs + len(equations) - 1, 0)
        return Expression(self.text, tuple(self.variables), Program(n_inputs, equations, at), tuple(self.leaves),
                          tuple(self.columns), tuple(self.labels), self.operations, self.stack[-1][3], self.refused)


def _wrapped(operand: tuple[str, int], wrap: bool) -> str:
    return f"({operand[0]})" if wrap else operand[0]


def _integer_text(n: int) -> str:
    text = str(n)
    return text if len(text) <= 30 else f"{text[:12]}… (an integer of {len(text.lstrip('-')):,} digits)"


def _checked_integer(step: _Step, n: int, formula: str) -> int:
    if n.bit_length() > _MAX_BITS:
        raise DomainError(f"{formula}: the result is an integer of more than {MAX_DIGITS:,} digits, too large to "
                          "compute here (and far beyond a float: at most about 1.8e308)")
    return n


def _integer_step(step: _Step, args: list[int]) -> int | float | None:
    """A step on integers only, as Python computes it (exact, or its correctly rounded true division); None
    where Python makes floats of the integers first (a negative exponent, a call), or 1/0 (the op names it)."""
    if step.kind == "neg":
        return -args[0]
    if step.kind != "binary":
        return None
    a, b = args
    formula = f"{_integer_text(a)} {step.what} {_integer_text(b)}"
    if step.what == "+":
        return _checked_integer(step, a + b, formula)
    if step.what == "-":
        return _checked_integer(step, a - b, formula)
    if step.what == "*":
        return _checked_integer(step, a * b, formula)
    if step.what == "/":
        if b == 0:
            return None
        try:
            return a / b
        except OverflowError:
            raise DomainError(f"{formula}: the quotient is too large for a float (at most about 1.8e308)") from None
    if b < 0:
        return None
    if abs(a) > 1 and (abs(a).bit_length() - 1) * b > _MAX_BITS:  # refused before it is computed: 9**387420489
        return _checked_integer(step, 2 ** (_MAX_BITS + 1), formula)
    return _checked_integer(step, a ** b, formula)


def _apply(step: _Step, args: list[int | float]) -> int | float:
    """A step on numbers only: integers as Python computes them (see the module doc), everything else through the
    op table's checks, on floats."""
    if all(type(a) is int for a in args):
        exact = _integer_step(step, args)  # type: ignore[arg-type]
        if exact is not None:
            return exact
    floats = [_as_float(step, a) for a in args]
    op, n = _op_of(step, floats[-1])
    result: float = op(*floats[:n])
    return result


def _as_float(step: _Step, n: int | float) -> float:
    """A number operand as a float: an integer made one as Python makes it one for a float operation (correctly
    rounded)."""
    if type(n) is not int:
        return n
    try:
        return float(n)
    except OverflowError:
        where = f"{step.what}()" if step.kind == "call" else "unary -" if step.kind == "neg" else step.what
        raise DomainError(f"{where}: the integer {_integer_text(n)} is too large for a float (at most about "
                          "1.8e308)") from None


def _op_of(step: _Step, last: float | None) -> tuple[Op, int]:
    """The op a step applies and how many of its operands it takes, given its last operand's number (None for a
    variable's value): ``**`` with a number as exponent is the op x ↦ x**k (as Value.__pow__ chooses) on the base
    alone, for a number base too, so that (-8)**0.5 and 0**-1 are refused by that op's domain and 9**9**9 by its
    overflow check."""
    if step.kind == "call":
        return FUNCTIONS[step.what], step.count
    if step.kind == "neg":
        return NEG, 1
    if step.what == "**" and last is not None:
        return power_op(last), 1
    return _BINARY_OPS[step.what], 2


def _formula(step: _Step, operands: list[tuple[str, int] | None]) -> tuple[str, int] | None:
    """The text of a step's sub-expression, as the op table writes it (None when it would be too long)."""
    if any(o is None for o in operands) or sum(len(o[0]) for o in operands if o is not None) > MAX_LABEL:
        return None
    known = [o for o in operands if o is not None]
    if step.kind == "call":
        return FUNCTIONS[step.what].formula(known)
    if step.kind == "neg":
        return NEG.formula(known)
    return _BINARY_OPS[step.what].formula(known)


def _arity_error(name: str, got: int) -> str:
    arity = FUNCTIONS[name].arity  # None: any number of arguments, at least one
    if arity is not None and got == arity or arity is None and got >= 1:
        return ""
    wanted = f"exactly {arity} argument" if arity is not None else "at least 1 argument"
    plural = "s" if arity is not None and arity != 1 else ""
    return f"{name}() takes {wanted}{plural}, got {got}"


class _Parser:
    """Python's operator rules by the shunting-yard method: one pass over the tokens, two explicit stacks."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.compiler = _Compiler(text)
        # Pending operators, innermost last: ("binary", symbol, column), ("neg" or "pos", sign, column),
        # ("(", "(", column), or ("call", name, column) with that call's count of finished arguments in arguments.
        self.pending: list[tuple[str, str, int]] = []
        self.arguments: list[int] = []
        self.call_paren = False  # the next token is the '(' of a call just seen

    def error(self, message: str, column: int) -> ExpressionError:
        return ExpressionError(f"{message}{_where(self.text, column)}")

    def syntax_error(self, message: str, column: int) -> ExpressionError:
        return ExpressionError(f"syntax error at column {column:,} of {shown(self.text, column)}: {message}")

    def tokens(self) -> Iterator[tuple[str, str, int]]:
        """(kind, text, column) of each token in turn: "number", "name" or "op"; anything else is refused here
        (when the parser reaches it, so that the first problem from the left is the one reported)."""
        text, i = self.text, 0
        match = _TOKEN.match
        while i < len(text):
            m = match(text, i)
            column = i + 1
            if m is None:
                char = text[i]
                hint = ": numbers are written with the ASCII digits 0-9" if char.isnumeric() else ""
                raise self.error(f"not allowed in an expression: the character {char!r} (U+{ord(char):04X}){hint}",
                                 column)
            kind = m.lastgroup if m.lastgroup != "runon" else "number"
            token = m.group(0)
            if kind == "number" and m.group("runon"):
                raise self.error(f"invalid number {shown(token, limit=30)}: write numbers with the ASCII digits "
                                 "0-9, an optional decimal point and exponent (2, 0.5, 1e-3), and a product with "
                                 "* (2*x)", column)
            if kind == "quote":
                raise self.error("only numbers may appear as constants, not text in quotes", column)
            if kind == "name":
                if not token.isidentifier():  # \w also matches ² and ₂, which no Python name holds: x² is no x2
                    at = next(k for k in range(1, len(token) + 1) if not token[:k].isidentifier()) - 1
                    char = token[at]
                    kind_of = unicodedata.name(char, "")
                    hint = (": write a power with ** (x**2)" if "SUPERSCRIPT" in kind_of else
                            ": write an index with ASCII digits (x2 or x_2)" if "SUBSCRIPT" in kind_of else "")
                    raise self.error(f"not allowed in a name: the character {char!r} (U+{ord(char):04X}){hint}",
                                     column + at)
                token = unicodedata.normalize("NFKC", token)  # as Python reads identifiers: ｘ is x
                if not token.isidentifier():
                    raise self.error(f"not allowed in an expression: {shown(m.group(0), limit=30)}", column)
            if kind != "space":
                yield str(kind), token, column
            i = m.end()

    def parse(self) -> Expression:
        tokens = self.tokens()
        current = next(tokens, None)
        if current is None:
            raise ExpressionError('the expression is empty: give one such as "tanh(w*x + b)"')
        expect_operand = True
        previous = ""
        while current is not None:
            kind, token, column = current
            upcoming = next(tokens, None)  # one token of look-ahead: is a name called? what follows a '.'?
            following = upcoming[1] if upcoming is not None else ""
            if expect_operand:
                expect_operand = self.operand(kind, token, column, following, previous)
            else:
                expect_operand = self.operator(kind, token, column, following, previous)
            previous, last, current = token, current, upcoming
        if expect_operand:
            _, last_token, column = last
            if last_token in ("(", ","):
                raise self.syntax_error("'(' was never closed", self.innermost_paren())
            raise self.syntax_error(f"{last_token!r} has no right operand: the expression ends after it", column)
        self.unwind()
        if self.pending:
            raise self.syntax_error("'(' was never closed", self.pending[-1][2])
        return self.compiler.expression()

    def innermost_paren(self) -> int:
        return next(column for kind, _, column in reversed(self.pending) if kind in ("(", "call"))

    def operand(self, kind: str, token: str, column: int, following: str, previous: str) -> bool:
        """A token where a number, a name, '(' or a sign must stand; returns whether an operand must still come."""
        if kind == "number":
            if token.isdigit():  # a whole number: an integer, as Python reads it
                if len(token) > 1 and token[0] == "0" and token.strip("0"):
                    raise self.error(f"invalid number {shown(token, limit=30)}: a whole number does not start with "
                                     f"0 (as in Python; write {shown(token.lstrip('0'), limit=30)})", column)
                if len(token) > MAX_DIGITS:
                    raise self.error(f"the number {shown(token, limit=30)} has {len(token):,} digits, more than "
                                     f"{MAX_DIGITS:,} (Python's limit for reading an integer)", column)
                self.compiler.number(token, int(token))
                return False
            number = float(token)
            if not math.isfinite(number):
                raise self.error(f"the number {shown(token, limit=30)} is too large for a float "
                                 "(at most about 1.8e308)", column)
            self.compiler.number(token, number)
            return False
        if kind == "name":
            if following == "(":
                if token not in FUNCTIONS:
                    raise self.error(f"unknown function {shown(token, limit=30)}; known: "
                                     f"{', '.join(sorted(FUNCTIONS))}", column)
                self.pending.append(("call", token, column))
                self.arguments.append(0)
                self.call_paren = True
                return True
            self.name(token, column)
            return False
        if token == "(":
            if self.call_paren:
                self.call_paren = False
            else:
                self.pending.append(("(", "(", column))
            return True
        if token in ("-", "+"):
            self.pending.append(("neg" if token == "-" else "pos", token, column))
            return True
        in_call = bool(self.pending) and self.pending[-1][0] == "call" and previous in ("(", ",")
        if token == ")" and in_call:
            return self.close(column, finished=False)  # f() has no argument; f(x,) ends with a comma, as Python allows
        if token in ("*", "**") and in_call:
            raise self.error(f"not allowed in an expression: argument unpacking {token}{following}", column)
        return self.misplaced(kind, token, column, following)

    def name(self, token: str, column: int) -> None:
        if token in FUNCTIONS:
            raise self.error(f"{token} is a function: call it as {token}(...)", column)
        if token in ("True", "False", "None"):
            raise self.error(f"only numbers may appear as constants, not {token}", column)
        if token in _UNSUPPORTED:
            raise self.error("operator not supported (use + - * / **)", column)
        if keyword.iskeyword(token):
            raise self.error(f"not allowed in an expression: {token!r}", column)
        self.compiler.name(token)

    def operator(self, kind: str, token: str, column: int, following: str, previous: str) -> bool:
        """A token after an operand: a binary operator, ')' or ','; returns whether an operand must follow."""
        if token in _PRECEDENCE:
            self.unwind(_PRECEDENCE[token], right_grouping=token == "**")
            self.pending.append(("binary", token, column))
            return True
        if token == ")":
            return self.close(column, finished=True)
        if token == ",":
            self.unwind()
            if not self.pending or self.pending[-1][0] != "call":
                raise self.error("not allowed in an expression: ',' outside a function call's arguments "
                                 "(a tuple is not a number)", column)
            self.arguments[-1] += 1
            return True
        if token == "=" and self.pending and self.pending[-1][0] == "call" and previous.isidentifier():
            raise self.error(f"{self.pending[-1][1]}() takes no keyword arguments", column)
        if token == ".":
            raise self.error(f"not allowed in an expression: attribute access .{following}", column)
        if token == "(":
            raise self.syntax_error(f"'(' right after {shown(previous, limit=30)}: only functions can be called "
                                    "(write a product with *: 2*(x + 1))", column)
        if kind == "name" and keyword.iskeyword(token) and token not in _UNSUPPORTED:
            raise self.error(f"not allowed in an expression: {token!r}", column)
        if kind in ("number", "name") and token not in _UNSUPPORTED:
            raise self.syntax_error(f"missing operator before {shown(token, limit=30)} (write a product with *: "
                                    "2*x)", column)
        return self.misplaced(kind, token, column, following)

    def misplaced(self, kind: str, token: str, column: int, following: str) -> bool:
        """A token that is wrong where it stands (or anywhere): raise the error that says so."""
        if token in _UNSUPPORTED:
            raise self.error("operator not supported (use + - * / **)", column)
        if token == "=":
            raise self.error("not allowed in an expression: '=' (give values as NAME=VALUE after the expression)",
                             column)
        if kind == "op" and token not in ("+", "-", "*", "/", "**", "(", ")", ","):
            raise self.error(f"not allowed in an expression: {token!r}", column)
        if token == ")":
            raise self.syntax_error("')' without an operand before it", column)
        raise self.syntax_error(f"{token!r} without an operand before it", column)

    def unwind(self, precedence: int = 0, right_grouping: bool = False) -> None:
        """Emit the pending operators that bind tighter than an operator of ``precedence`` (all of them down to the
        innermost '(' or call, for 0): ** groups to the right (2**3**2 is 2**9), the others to the left."""
        pending = self.pending
        while pending:
            kind, what, column = pending[-1]
            if kind == "binary":
                top = _PRECEDENCE[what]
            elif kind in ("neg", "pos"):
                top = _UNARY
            else:
                return
            if top < precedence or top == precedence and right_grouping:
                return
            pending.pop()
            if kind == "pos":
                self.compiler.plus()
            else:
                self.compiler.apply(_Step(kind, what, column, 2 if kind == "binary" else 1))

    def close(self, column: int, finished: bool) -> bool:
        """A ')': close the innermost parenthesis or call (whose last argument is ``finished`` or not)."""
        self.unwind()
        if not self.pending:
            raise self.syntax_error("unmatched ')'", column)
        kind, name, opened = self.pending.pop()
        if kind == "call":
            count = self.arguments.pop() + finished
            message = _arity_error(name, count)
            if message:
                raise self.error(message, opened)
            self.compiler.apply(_Step("call", name, opened, count))
        return False


def parse_expression(text: str) -> Expression:
    """Parse ``text``, checking that it uses only numbers, variables, + - * / **, unary minus and built-in ops."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression too long: {len(text):,} characters, at most {MAX_LENGTH:,} "
                              f"(a sum of about {MAX_LENGTH // 2:,} terms): {shown(text)}")
    return _Parser(text).parse()


def variable_name(text: str) -> str:
    """A variable's name as the parser reads it (NFKC-normalised, as Python reads identifiers)."""
    return unicodedata.normalize("NFKC", text.strip())


def parse_assignments(items: list[str]) -> dict[str, float]:
    """``["x1=2", "w1=-3"]`` → ``{"x1": 2.0, "w1": -3.0}``, with a message naming any malformed item.

    A value is written with the ASCII digits 0-9, an optional sign, decimal point and exponent: Python's
    float() also reads 1_000, full-width and Arabic-Indic digits, which are refused here. Each name once.
    """
    values: dict[str, float] = {}
    given: dict[str, str] = {}
    for item in items:
        raw_name, sep, number = item.partition("=")
        name = variable_name(raw_name)
        if not sep or not raw_name.strip().isidentifier():  # as the parser reads names: x² is no name (not x2)
            raise ExpressionError(f"expected NAME=NUMBER, got {shown(item)}")
        number = number.strip()
        if NUMBER.fullmatch(number):
            value = float(number)
            if not math.isfinite(value):
                raise ExpressionError(f"{name}: the value must be finite, got {shown(number)} "
                                      "(too large for a float: at most about 1.8e308)")
        else:
            read = _python_float(number)
            if read is None:
                raise ExpressionError(f"{name}: expected a number after '=', got {shown(number)}")
            if not math.isfinite(read):
                raise ExpressionError(f"{name}: the value must be finite, got {shown(number)}")
            raise ExpressionError(f"{name}: write the value with the ASCII digits 0-9, an optional sign, decimal "
                                  f"point and exponent (2, -0.5, 1e-3), got {shown(number)}")
        if name in values:
            raise ExpressionError(f"{name} is given twice ({shown(given[name], limit=30)} and "
                                  f"{shown(item, limit=30)}): give each variable one value")
        values[name], given[name] = value, item
    return values


def _python_float(text: str) -> float | None:
    try:
        return float(text)
    except (ValueError, OverflowError):
        return None


def function_list() -> str:
    """The functions an expression may call, with their arguments: ``abs(x), …, maximum(x, y), …``.

    Read from :data:`FUNCTIONS` (the op table), so a new public op is listed without editing any help text.
    """
    def signature(name: str) -> str:
        arity = FUNCTIONS[name].arity
        if arity is None:
            return f"{name}(x, ...)"
        names = ["x", "y", "z"] if arity <= 3 else [f"x{i}" for i in range(1, arity + 1)]
        return f"{name}({', '.join(names[:arity])})"

    return ", ".join(signature(name) for name in sorted(FUNCTIONS))


__all__ = ["ECHO", "FUNCTIONS", "MAX_LABEL", "MAX_LENGTH", "Expression", "ExpressionError", "function_list",
           "parse_assignments", "parse_expression", "shown", "variable_name"]

