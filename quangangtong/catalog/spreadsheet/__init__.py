"""Excel import and export of the 事项清单: departments, handling modes, service items and their materials.

The workbook is the hall's own editing format: export it, edit it in Excel or WPS, import it back.
Import validates every cell before it writes anything, and writes only what differs.
"""

from quangangtong.catalog.spreadsheet.columns import CatalogImportError, CellError, ImportReport, SheetCounts
from quangangtong.catalog.spreadsheet.export import catalog_export_bytes, catalog_export_workbook
from quangangtong.catalog.spreadsheet.importer import catalog_import

__all__ = [
    "CatalogImportError",
    "CellError",
    "ImportReport",
    "SheetCounts",
    "catalog_export_bytes",
    "catalog_export_workbook",
    "catalog_import",
]
