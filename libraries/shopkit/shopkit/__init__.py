"""What the shop's automations share, so that each one holds only its own recipe.

- files: where output goes (`output_dir`) and writing it so that a crash never leaves half
  a file (`write_atomically`, `save_workbook`);
- tables: reading CSV exports and Excel workbooks with every problem named by file, sheet
  and row (`read_text`, `csv_rows`, `open_workbook`, `sheet_of`, `workbook_rows`, `table_rows`,
  `find_columns`, `number`);
- mail: sending email over SMTP, or writing it to an outbox folder on a dry run
  (`check_sender`, `connect`, `send_one`, `write_outbox`).

Every problem the person running an automation can fix is a `ShopkitError`: `autokit run`
shows its message without a traceback. An automation's own error class may derive from it.
"""

from shopkit.errors import ShopkitError
from shopkit.files import output_dir, save_workbook, write_atomically
from shopkit.mail import SMTP_TIMEOUT, check_sender, connect, send_one, write_outbox
from shopkit.tables import (
    csv_rows,
    delimiter_of,
    find_columns,
    number,
    open_workbook,
    read_text,
    sheet_of,
    table_rows,
    workbook_rows,
)

__all__ = [
    "SMTP_TIMEOUT",
    "ShopkitError",
    "check_sender",
    "connect",
    "csv_rows",
    "delimiter_of",
    "find_columns",
    "number",
    "open_workbook",
    "output_dir",
    "read_text",
    "save_workbook",
    "send_one",
    "sheet_of",
    "table_rows",
    "workbook_rows",
    "write_atomically",
    "write_outbox",
]
