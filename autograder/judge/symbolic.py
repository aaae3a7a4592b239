"""Symbolic answers: a formula a student wrote as a string, parsed safely and compared exactly.

`x2 = -2 - 4*x1`, `-(1 + 2*x1)/0.5` and `1 + 2*x1 + 0.5*x2 = 0` all describe one line. The
string is parsed with Python's `ast` module into a tree that is checked node by node
(numbers, the allowed symbols, + - * / and small integer powers, nothing else) and only
then turned into a sympy expression. Nothing is evaluated: no `eval`, no sympy `parse_expr`
(which evaluates), no attribute access, no calls, no names beyond the allowed symbols.
Sizes and exponents are bounded, so the comparison (polynomial arithmetic on a small
rational function) stays fast whatever the input.
"""

from __future__ import annotations

import ast
import re
from fractions import Fraction

import sympy

MAX_LENGTH = 300
MAX_NODES = 80
MAX_EXPONENT = 4
MAX_DIGITS = 20


class FormulaError(ValueError):
    """A formula that cannot be accepted; the message says why, for the student."""


def _number(value) -> sympy.Expr:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FormulaError("only numbers, symbols and + - * / ** are allowed")
    text = repr(value)
    if len(text.replace("-", "").replace(".", "")) > MAX_DIGITS:
        raise FormulaError("a number in the formula is too long")
    # Decimal text -> exact rational, so 0.5 and 1/2 are the same number.
    return sympy.Rational(Fraction(text)) if isinstance(value, float) else sympy.Integer(value)


MAX_DEGREE = 8


def _bounded(expr: sympy.Expr) -> sympy.Expr:
    """Refuse numbers so large that exact arithmetic on them would cost real time."""
    for number in expr.atoms(sympy.Rational):
        if max(abs(number.p), abs(number.q)).bit_length() > 200:
            raise FormulaError("a number in the formula is too large")
    return expr


def _convert(node, symbols: dict[str, sympy.Symbol]) -> tuple[sympy.Expr, int]:
    """(expression, a bound on its degree as a rational function) of an ast node."""
    if isinstance(node, ast.Constant):
        return _number(node.value), 0
    if isinstance(node, ast.Name):
        if node.id not in symbols:
            allowed = ", ".join(sorted(symbols))
            raise FormulaError(f"unknown name {node.id!r}; the formula may use {allowed}")
        return symbols[node.id], 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner, degree = _convert(node.operand, symbols)
        return (-inner if isinstance(node.op, ast.USub) else inner), degree
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)):
        (left, dl), (right, dr) = _convert(node.left, symbols), _convert(node.right, symbols)
        if isinstance(node.op, ast.Pow):
            if not (right.is_Integer and abs(int(right)) <= MAX_EXPONENT):
                raise FormulaError(f"powers must be whole numbers between -{MAX_EXPONENT} and {MAX_EXPONENT}")
            result, degree = left ** right, dl * abs(int(right))
        elif isinstance(node.op, ast.Div):
            if right == 0:
                raise FormulaError("the formula divides by zero")
            result, degree = left / right, dl + dr
        elif isinstance(node.op, ast.Mult):
            result, degree = left * right, dl + dr
        else:
            result = left + right if isinstance(node.op, ast.Add) else left - right
            degree = dl + dr if (dl and dr) else max(dl, dr)  # a sum of fractions multiplies denominators
        if degree > MAX_DEGREE:
            raise FormulaError("the formula is of too high a degree for a line")
        return _bounded(result), degree
    raise FormulaError("only numbers, symbols and + - * / ** are allowed")


SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")


def normalise(text: str, names: tuple[str, ...]) -> str:
    """The formula as Python reads it, from the ways people write it: `x_1`, `x₁` and `X1` for
    x1, `^` for powers, `×` and `·` for products, and implicit products such as `4x1`,
    `2(x1 + 1)` or `(1 + x1)(2)` made explicit. Only text is rewritten; nothing is evaluated."""
    text = text.strip().translate(SUBSCRIPTS)
    text = text.replace("^", "**").replace("−", "-").replace("–", "-").replace("·", "*").replace("×", "*")
    text = text.replace("\\cdot", "*").replace("\\times", "*").replace("$", "")  # as written in LaTeX
    for name in names:  # x_1 and X1 are x1 (the symbols are a letter and a digit)
        letter, rest = name[:1], name[1:]
        if rest.isdigit():
            text = re.sub(rf"(?<![A-Za-z_]){letter}_?{{?{rest}}}?(?![0-9])", name, text, flags=re.IGNORECASE)
    symbol = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    # a number or a closing bracket directly before a symbol or an opening bracket: a product
    text = re.sub(rf"(?<=[0-9.)])\s*(?=(?:{symbol})(?![0-9])|\()", "*", text)
    # a symbol directly before an opening bracket or another symbol
    text = re.sub(rf"(?<![A-Za-z_])({symbol})\s*(?=\(|(?:{symbol})(?![0-9]))", r"\1*", text)
    return text


def parse_formula(text: str, names: tuple[str, ...]) -> sympy.Expr | sympy.Equality:
    """A sympy expression, or an equation for `lhs = rhs`, from a student's string."""
    if not isinstance(text, str):
        raise FormulaError("the formula should be a string")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is longer than {MAX_LENGTH} characters")
    text = normalise(text, names)
    if not text:
        raise FormulaError("the formula is empty")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is longer than {MAX_LENGTH} characters")
    sides = text.replace("==", "=").split("=")
    if len(sides) > 2:
        raise FormulaError("the formula has more than one '='")
    symbols = {name: sympy.Symbol(name, real=True) for name in names}
    trees = []
    for side in sides:
        try:
            tree = ast.parse(side.strip(), mode="eval")
        except SyntaxError:
            raise FormulaError(f"cannot read {side.strip()!r} as a formula") from None
        if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
            raise FormulaError("the formula is too long")
        trees.append(_convert(tree.body, symbols)[0])
    return trees[0] if len(trees) == 1 else sympy.Eq(trees[0], trees[1], evaluate=False)


def solve_linear_for(formula, target: str, names: tuple[str, ...]) -> sympy.Expr:
    """`target` as an expression of the other symbols. A bare expression means `target = expr`."""
    symbol = sympy.Symbol(target, real=True)
    if not isinstance(formula, sympy.Equality):
        if formula.has(symbol):
            raise FormulaError(f"an expression without '=' is read as {target} = ..., so it cannot contain {target}")
        return formula
    difference = sympy.cancel(sympy.together(formula.lhs - formula.rhs))
    numerator, _ = sympy.fraction(difference)
    numerator = sympy.expand(numerator)
    coefficient = numerator.coeff(symbol, 1)
    rest = sympy.expand(numerator - coefficient * symbol)
    if coefficient == 0 or rest.has(symbol) or coefficient.free_symbols:
        raise FormulaError(f"the equation does not fix {target} as a line")
    return sympy.cancel(-rest / coefficient)


def equivalent(candidate: sympy.Expr, expected: sympy.Expr) -> bool:
    """Exact equivalence of two rational expressions."""
    return sympy.cancel(sympy.together(candidate - expected)) == 0
