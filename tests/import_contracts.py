"""A contract type for import-linter that its built-in ones lack: "these modules import only ...".

import-linter's `forbidden` contract lists what may not be imported; the sandbox and the student's
Python need the opposite, a list of what may be, because whatever is installed beside them (and
not listed) must stay out. This type plugs into import-linter (pyproject.toml's
[tool.importlinter] names it under `contract_types`) and uses its import graph and its report.
"""

from __future__ import annotations

import sys

import grimp
from importlinter import Contract, ContractCheck, fields, output


class OnlyImportsContract(Contract):
    """The modules under `source_modules` import only the standard library, each other and
    `allowed_modules` (top-level names, or dotted names with what lies below them).

    Needs `include_external_packages = true` in the root options, so that an import of another
    distribution is a module of the graph."""

    type_name = "only_imports"

    source_modules = fields.ListField(subfield=fields.ModuleField())
    allowed_modules = fields.ListField(subfield=fields.StringField())

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        sources: set[str] = set()
        for module in self.source_modules:  # type: ignore[attr-defined]
            sources |= {module.name} | graph.find_descendants(module.name)
        allowed = tuple(self.allowed_modules)  # type: ignore[arg-type]
        offences = []
        for importer in sorted(sources):
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                if imported in sources or _allowed(imported, allowed):
                    continue
                lines = [d["line_number"] for d in graph.get_import_details(importer=importer, imported=imported)]
                offences.append({"importer": importer, "imported": imported, "lines": lines})
        return ContractCheck(kept=not offences, metadata={"offences": offences})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for offence in check.metadata["offences"]:
            lines = ", ".join(str(n) for n in offence["lines"]) or "?"
            output.print_error(f"{offence['importer']} imports {offence['imported']} (line {lines}), "
                               "which its home does not allow", bold=False)
            output.new_line()


def _allowed(imported: str, allowed: tuple[str, ...]) -> bool:
    top = imported.split(".")[0]
    return top in sys.stdlib_module_names or any(imported == a or imported.startswith(a + ".") for a in allowed)
