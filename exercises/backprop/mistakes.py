"""Typical week-1 mistakes in `backprop`, with the hints they should get
(judged by `autograder coverage` and tests/exercises/test_mistakes.py)."""

from autograder.judge.mistakes import Mistake

MISTAKES = [
    Mistake("the chain rule with + instead of x",
            edits={"df_dx = df_dq * 1  # SOLUTION": "df_dx = df_dq + 1", "df_dy = df_dq * 1  # SOLUTION": "df_dy = df_dq + 1",
                   "return df_dq * 1, df_dq * 1, q": "return df_dq + 1, df_dq + 1, q"},
            expect={"df_dx": "multiplies", "df_dy": "multiplies", "grad_f": "multiplies"}),
    Mistake("df/dz given as z",
            edits={"df_dz = q  # SOLUTION": "df_dz = z", "return df_dq * 1, df_dq * 1, q": "return df_dq * 1, df_dq * 1, z"},
            expect={"df_dz": "the other factor, q", "grad_f": "the other factor, q"}),
    Mistake("df/dq given as q, and carried on",
            edits={"df_dq = z  # SOLUTION": "df_dq = q"},
            expect={"df_dq": "the other factor, z", "df_dx": "applied right to your df/dq",
                    "df_dy": "applied right to your df/dq"}),
    Mistake("the brackets forgotten",
            edits={"f = q * z  # SOLUTION": "f = x + y * z"},
            expect={"f": "brackets"}),
    Mistake("q as a difference, carried on",
            edits={"q = x + y": "q = x - y"},
            expect={"q": "sum", "f": "right for your q", "df_dz": "right for your q", "grad_f": "not the difference"}),
    Mistake("backward run twice on the same tensors",
            edits={"ft.backward()  # SOLUTION": "ft.backward()\nft = (xt + yt) * zt\nft.backward()"},
            expect={"grad_x": "twice", "grad_y": "twice", "grad_z": "twice"}),
    Mistake("requires_grad forgotten",
            edits={"xt = torch.tensor(x, requires_grad=True)": "xt = torch.tensor(x)",
                   "yt = torch.tensor(y, requires_grad=True)": "yt = torch.tensor(y)",
                   "zt = torch.tensor(z, requires_grad=True)": "zt = torch.tensor(z)"},
            expect={"grad_x": "requires_grad", "grad_y": "requires_grad", "grad_z": "requires_grad"}),
    Mistake("only the local gradients in grad_f",
            edits={"return df_dq * 1, df_dq * 1, q": "return 1, 1, q"},
            expect={"grad_f": "chain rule is missing"}),
    Mistake("the product node taken as a sum",
            edits={"f = q * z  # SOLUTION": "f = q + z"},
            expect={"f": "not the sum"}),
]
