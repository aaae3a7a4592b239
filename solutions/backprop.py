"""Backpropagation through the computational graph of f(x, y, z) = (x + y) * z.

The graph has two nodes: an addition q = x + y and a multiplication f = q * z.

Forward pass (the slides' numbers x = -2, y = 5, z = -4):
    q = x + y = 3
    f = q * z = -12

Backward pass, from the output to the inputs, with the chain rule:
    df/df = 1
    df/dq = z = -4           (local gradient of q * z with respect to q)
    df/dz = q = 3            (local gradient of q * z with respect to z)
    df/dx = df/dq * dq/dx = -4 * 1 = -4
    df/dy = df/dq * dq/dy = -4 * 1 = -4

An addition node passes the gradient on unchanged to both inputs; a multiplication node
passes it on multiplied by the *other* input. torch's autograd does exactly this.
"""

# The inputs of the slides: the default variant (floats, as torch needs them for gradients).
DEFAULT_VARIANT = {"x": -2.0, "y": 5.0, "z": -4.0}


def forward(x, y, z):
    """The forward pass: the intermediate value q and the output f."""
    q = x + y
    f = q * z
    return q, f


def grad_f(x, y, z):
    """(df/dx, df/dy, df/dz) of f = (x + y) * z, by backpropagation through the graph."""
    q, _ = forward(x, y, z)
    df_dq = z  # f = q * z: the derivative with respect to q is the other factor
    df_dz = q  # ... and with respect to z it is q
    df_dx = df_dq * 1.0  # q = x + y: dq/dx = 1, chain rule
    df_dy = df_dq * 1.0  # dq/dy = 1
    return df_dx, df_dy, df_dz


def grad_f_autograd(x, y, z):
    """The same gradients computed by torch's autograd (torch is imported only here)."""
    import torch

    xt = torch.tensor(float(x), requires_grad=True)
    yt = torch.tensor(float(y), requires_grad=True)
    zt = torch.tensor(float(z), requires_grad=True)
    ft = (xt + yt) * zt
    ft.backward()
    return xt.grad.item(), yt.grad.item(), zt.grad.item()


# --------------------------------------------------------------------------- typical mistakes


def grad_chain_rule_missing(x, y, z):
    """Only the local gradients of the addition: dq/dx = dq/dy = 1."""
    return 1.0, 1.0, x + y


def grad_chain_rule_added(x, y, z):
    """The chain rule with + instead of x: upstream gradient plus local gradient."""
    return z + 1.0, z + 1.0, x + y


def grad_q_difference(x, y, z):
    """q taken as x - y: df/dz = q comes out as x - y."""
    return z, z, x - y


def grad_dz_as_z(x, y, z):
    """Every gradient given as z: df/dz = z is the classic slip (it is q)."""
    return z, z, z


def grad_without_brackets(x, y, z):
    """The gradients of x + y * z instead of (x + y) * z."""
    return 1.0, z, y


def grad_accumulated(x, y, z):
    """.backward() ran twice without zeroing the gradients: .grad holds twice the gradient."""
    return tuple(2 * g for g in grad_f(x, y, z))


def expected(params=None) -> dict:
    """Every value the checks compare, or name as a mistake, for the variant `params`
    (None: the slides' numbers)."""
    v = params or DEFAULT_VARIANT
    x, y, z = v["x"], v["y"], v["z"]
    q, f = forward(x, y, z)
    df_dx, df_dy, df_dz = grad_f(x, y, z)
    return {
        "X": x, "Y": y, "Z": z,
        "Q": q,
        "F": f,
        "DF_DQ": z,  # the other factor of q * z
        "DF_DX": df_dx,
        "DF_DY": df_dy,
        "DF_DZ": df_dz,
        # Typical mistakes, used by the hidden checks to name a hint.
        "F_WITHOUT_BRACKETS": x + y * z,
        "Q_DIFFERENCE": x - y,
        "F_SUM": q + z,  # the multiplication node taken as an addition
        "DF_DX_ADDED": z + 1.0,  # the chain rule with + : df/dq + dq/dx
        "DF_DX_TWICE": 2 * df_dx,  # .backward() ran twice: .grad accumulates
        "DF_DY_TWICE": 2 * df_dy,
        "DF_DZ_TWICE": 2 * df_dz,
    }


def draw_variant(rng) -> dict:
    """A student's own point: x, y, z whole numbers from -6 to 6 (as floats, for torch), none
    of them 0, with q = x + y not 0 and not z. z is neither 1 nor x nor y, so that every
    typical mistake (df/dz = z, df/dx = x or 1, f without brackets) gives another number."""
    while True:
        x, y, z = (float(v) for v in rng.integers(-6, 7, size=3))
        q = x + y
        if 0 not in (x, y, z, q) and q != z and z not in (1.0, x, y):
            return {"x": x, "y": y, "z": z}


# The slides' numbers, as constants.
X, Y, Z = DEFAULT_VARIANT["x"], DEFAULT_VARIANT["y"], DEFAULT_VARIANT["z"]
_SLIDES = expected()
Q, F = _SLIDES["Q"], _SLIDES["F"]  # 3, -12
DF_DQ = _SLIDES["DF_DQ"]  # -4
DF_DX, DF_DY, DF_DZ = _SLIDES["DF_DX"], _SLIDES["DF_DY"], _SLIDES["DF_DZ"]  # -4, -4, 3
F_WITHOUT_BRACKETS = _SLIDES["F_WITHOUT_BRACKETS"]  # -22
Q_DIFFERENCE = _SLIDES["Q_DIFFERENCE"]  # -7


if __name__ == "__main__":
    print(f"q = {Q}, f = {F}")
    print(f"df/dq = {DF_DQ}, df/dx = {DF_DX}, df/dy = {DF_DY}, df/dz = {DF_DZ}")
