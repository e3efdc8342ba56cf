"""The report as CSV in long form: one row per value (section, table, row, column, value).

Long form keeps every number in one column whatever the section, so a spreadsheet can filter and
pivot it; values stay raw numbers (no thousands separators, rates as fractions).
"""

from __future__ import annotations

import csv
import io

from api.reports.document import Report, Value

HEADER = ("section", "table", "row", "column", "value")


def _cell(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def render_csv(report: Report) -> bytes:
    """UTF-8 CSV with a header row (and a byte-order mark, so spreadsheet programs read the accents)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerow(("report", "report", "client", "name", report.client_name))
    writer.writerow(("report", "report", "period", "from", report.date_from.isoformat()))
    writer.writerow(("report", "report", "period", "to", report.date_to.isoformat()))
    writer.writerow(("report", "report", "currency", "code", report.currency))
    for section in report.sections:
        for figure in section.figures:
            writer.writerow((section.key, "figures", figure.label, "value", _cell(figure.value)))
            if figure.change is not None:
                writer.writerow((section.key, "figures", figure.label, "change", _cell(figure.change)))
        for table in section.tables:
            for row in table.rows:
                for column, value in zip(table.columns[1:], row[1:], strict=True):
                    writer.writerow((section.key, table.title, _cell(row[0]), column, _cell(value)))
        for chart in section.charts:
            for name, values in chart.series.items():
                for category, value in zip(chart.categories, values, strict=True):
                    writer.writerow((section.key, chart.title, category, name, _cell(value)))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
