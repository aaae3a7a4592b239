""""Open in Colab" links, when course.yaml says where the student notebooks are published.

`publish: {notebooks: https://github.com/ORG/REPO/blob/BRANCH/.../{id}.ipynb}` names the
published file of each exercise; Colab opens a GitHub file at the same path under
https://colab.research.google.com/github/. The build puts the link at the top of each student
notebook and lists all of them in dist/colab_links.md, for the course page.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

COLAB = "https://colab.research.google.com/github/"
GITHUB = "https://github.com/"
BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
LINKS_FILE = "colab_links.md"
LINK_TAG = "colab_link"


def colab_url(github_url: str) -> str:
    """https://github.com/ORG/REPO/blob/BRANCH/PATH -> Colab's address of that notebook."""
    if not github_url.startswith(GITHUB):
        raise ValueError(f"not a GitHub URL: {github_url}")
    return COLAB + github_url[len(GITHUB):]


def add_link_cell(path: Path, github_url: str) -> str:
    """Put the "Open in Colab" badge first in the notebook at `path`; returns the link."""
    link = colab_url(github_url)
    nb = nbformat.read(str(path), as_version=4)
    nb.cells = [c for c in nb.cells if LINK_TAG not in c.metadata.get("tags", [])]
    cell = nbformat.v4.new_markdown_cell(f'<a href="{link}" target="_parent"><img src="{BADGE}" alt="Open In Colab"/></a>')
    cell.metadata["tags"] = [LINK_TAG]
    nb.cells.insert(0, cell)
    nbformat.write(nb, str(path))
    return link


def write_links(out: Path, links: list[tuple[str, str, str]]) -> Path:
    """dist/colab_links.md: one line per exercise, (id, title, link)."""
    lines = ["# Open the exercises in Colab", ""]
    lines += [f"- [{title}]({link}) (`{exercise_id}`)" for exercise_id, title, link in links]
    target = out / LINKS_FILE
    target.write_text("\n".join(lines) + "\n")
    return target
