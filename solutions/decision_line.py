"""The decision line of a logistic regression model with two features.

Logistic regression models the log-odds of class 1 as a linear function of the inputs:

    ln(p / (1 - p)) = b0 + b1*x1 + b2*x2,   equivalently   p = sigmoid(b0 + b1*x1 + b2*x2)

It predicts class 1 when p > 0.5. The border between the two classes, the decision (or
separation) line, is where p = 0.5: there p / (1 - p) = 1, so the log-odds are ln(1) = 0:

    b0 + b1*x1 + b2*x2 = 0   =>   x2 = -b0/b2 - (b1/b2) * x1     (for b2 != 0)

The model of the slides, ln(p/(1-p)) = 1 + 2*x1 + 0.5*x2, has the line x2 = -2 - 4*x1.
"""

import math

# The coefficients of the slides' model, ln(p/(1-p)) = 1 + 2*x1 + 0.5*x2: the default variant.
DEFAULT_VARIANT = {"b0": 1.0, "b1": 2.0, "b2": 0.5}
B0, B1, B2 = DEFAULT_VARIANT["b0"], DEFAULT_VARIANT["b1"], DEFAULT_VARIANT["b2"]


def log_odds(x1, x2, b0=B0, b1=B1, b2=B2):
    """The model's log-odds ln(p/(1-p)) at the point (x1, x2)."""
    return b0 + b1 * x1 + b2 * x2


def probability(x1, x2, b0=B0, b1=B1, b2=B2):
    """The probability p of class 1 at (x1, x2): the sigmoid of the log-odds."""
    return 1.0 / (1.0 + math.exp(-log_odds(x1, x2, b0, b1, b2)))


def decision_line(b0, b1, b2):
    """(intercept, slope) of the line where p = 0.5, written as x2 = intercept + slope * x1.

    On the line the log-odds vanish: b0 + b1*x1 + b2*x2 = 0. Solving for x2 divides by b2,
    the coefficient of x2, so b2 must not be 0 (else the line is vertical: x1 = -b0/b1).
    """
    if b2 == 0:
        raise ValueError("b2 = 0: the decision line is vertical and has no slope")
    return -b0 / b2, -b1 / b2


# Typical mistakes, used by the hidden checks to name a hint.
def line_sign_flipped(b0, b1, b2):
    """Both signs lost when moving the terms to the other side."""
    return b0 / b2, b1 / b2


def line_swapped(b0, b1, b2):
    """Intercept and slope given in the wrong order."""
    return -b1 / b2, -b0 / b2


def line_solved_for_x1(b0, b1, b2):
    """Divided by b1, the coefficient of x1: that solves for x1 instead of x2."""
    return -b0 / b1, -b2 / b1


def line_not_divided(b0, b1, b2):
    """The terms moved to the other side, but not divided by b2."""
    return -b0, -b1


def line_multiplied(b0, b1, b2):
    """Multiplied by b2 where it should be divided by it."""
    return -b0 * b2, -b1 * b2


def line_at_half(b0, b1, b2):
    """The linear part set to 0.5 (the probability) instead of 0 (the log-odds at p = 0.5)."""
    return (0.5 - b0) / b2, -b1 / b2


def expected(params=None) -> dict:
    """Every value the checks compare, or name as a mistake, for the variant `params`
    (None: the slides' numbers)."""
    v = params or DEFAULT_VARIANT
    b0, b1, b2 = v["b0"], v["b1"], v["b2"]
    intercept, slope = decision_line(b0, b1, b2)
    return {
        # At p = 0.5 the odds p/(1-p) are 1, and the log-odds ln(1) are 0, for every model.
        "LOG_ODDS_AT_HALF": math.log(0.5 / (1 - 0.5)),
        "INTERCEPT": intercept,
        "SLOPE": slope,
        "COEFFICIENTS": (b0, b1, b2),  # the line itself, for an answer written as a formula
        "LINE_FORMULA": f"x2 = {intercept:g} + ({slope:g})*x1",  # one way to write it
        # Typical mistakes, used by the hidden checks to name a hint.
        "INTERCEPT_SIGN_FLIPPED": -intercept,
        "SLOPE_SIGN_FLIPPED": -slope,
        "INTERCEPT_WRONG_COEFFICIENT": -b0 / b1,  # divided by b1: solved for x1
        "SLOPE_WRONG_COEFFICIENT": -b2 / b1,
        "INTERCEPT_NOT_DIVIDED": -b0,  # b2*x2 = -b0 - b1*x1, not yet divided by b2
        "SLOPE_NOT_DIVIDED": -b1,
        "INTERCEPT_MULTIPLIED": -b0 * b2,  # multiplied by b2 instead of divided
        "SLOPE_MULTIPLIED": -b1 * b2,
        "INTERCEPT_AT_HALF": (0.5 - b0) / b2,  # b0 + b1*x1 + b2*x2 = 0.5 instead of 0
    }


def draw_variant(rng) -> dict:
    """A student's own model: b0 in -3..3 and b1 in -4..4 (steps of 0.5, not 0), b2 one of
    -2, -1, -0.5, 0.5, 2 (never 0, so the line is not vertical; not 1, so that forgetting to
    divide by b2 shows). Intercept and slope are then multiples of 0.25, and every typical
    mistake gives a number other than the right one."""
    while True:
        b0 = float(rng.choice([-3.0, -2.5, -2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]))
        b1 = float(rng.choice([-4.0, -3.0, -2.5, -2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0]))
        b2 = float(rng.choice([-2.0, -1.0, -0.5, 0.5, 2.0]))
        params = {"b0": b0, "b1": b1, "b2": b2}
        a = expected(params)
        intercepts = [a[key] for key in ("INTERCEPT", "INTERCEPT_SIGN_FLIPPED", "SLOPE",
                                         "INTERCEPT_WRONG_COEFFICIENT", "INTERCEPT_NOT_DIVIDED", "INTERCEPT_AT_HALF")]
        slopes = [a[key] for key in ("SLOPE", "SLOPE_SIGN_FLIPPED", "INTERCEPT", "SLOPE_WRONG_COEFFICIENT",
                                     "SLOPE_NOT_DIVIDED")]
        if len(set(intercepts)) == len(intercepts) and len(set(slopes)) == len(slopes):
            return params


_SLIDES = expected()
LOG_ODDS_AT_HALF = _SLIDES["LOG_ODDS_AT_HALF"]
# 1 + 2*x1 + 0.5*x2 = 0  =>  0.5*x2 = -1 - 2*x1  =>  x2 = -2 - 4*x1
INTERCEPT, SLOPE = _SLIDES["INTERCEPT"], _SLIDES["SLOPE"]


if __name__ == "__main__":
    print(f"log-odds at p = 0.5: {LOG_ODDS_AT_HALF}; line: x2 = {INTERCEPT} + ({SLOPE}) * x1")
