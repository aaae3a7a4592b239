"""The decision line of a logistic regression model with two features.

Logistic regression models the log-odds of class 1 as a linear function of the inputs:

    ln(p / (1 - p)) = b0 + b1*x1 + b2*x2,   equivalently   p = sigmoid(b0 + b1*x1 + b2*x2)

It predicts class 1 when p > 0.5. The border between the two classes, the decision (or
separation) line, is where p = 0.5: there p / (1 - p) = 1, so the log-odds are ln(1) = 0:

    b0 + b1*x1 + b2*x2 = 0   =>   x2 = -b0/b2 - (b1/b2) * x1     (for b2 != 0)

The model of the slides, ln(p/(1-p)) = 1 + 2*x1 + 0.5*x2, has the line x2 = -2 - 4*x1.
"""

import math

# The coefficients of the slides' model: ln(p/(1-p)) = 1 + 2*x1 + 0.5*x2
B0 = 1.0
B1 = 2.0
B2 = 0.5


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


# At p = 0.5 the odds p/(1-p) are 1, and the log-odds ln(1) are 0.
LOG_ODDS_AT_HALF = math.log(0.5 / (1 - 0.5))
# 1 + 2*x1 + 0.5*x2 = 0  =>  0.5*x2 = -1 - 2*x1  =>  x2 = -2 - 4*x1
INTERCEPT, SLOPE = decision_line(B0, B1, B2)


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


if __name__ == "__main__":
    print(f"log-odds at p = 0.5: {LOG_ODDS_AT_HALF}; line: x2 = {INTERCEPT} + ({SLOPE}) * x1")
