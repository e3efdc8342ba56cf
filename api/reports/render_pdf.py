"""The report as a PDF: a header in the client's colour (and logo), then each section's key figures,
tables and charts (ReportLab's platypus layout and graphics charts)."""

from __future__ import annotations

import io
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from api.reports import i18n
from api.reports.document import Chart, Figure, Report, Section, Table, Value

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
SERIES_SHADES = (1.0, 0.55, 0.3)
"""Each series is drawn in the brand colour mixed with white by this much (first series: the colour itself)."""


def pdf_text(text: str) -> str:
    """`text` escaped for a Paragraph and limited to what the standard PDF fonts can draw (Windows-1252)."""
    text = text.replace("\u202f", "\u00a0").replace("\u2009", "\u00a0")
    drawable = text.encode("cp1252", errors="ignore").decode("cp1252")
    return escape(drawable)


def _value(value: Value, unit: str, report: Report) -> str:
    words = i18n.Words(report.language)
    if value is None:
        return "-"
    if isinstance(value, str):
        try:
            number = Decimal(value)  # amounts and counts the analyses give as exact decimal strings
        except ArithmeticError:
            return value
        if unit == "money":
            return words.money(number, report.currency)
        return words.number(number, digits=0 if number == number.to_integral_value() else 2)
    if unit == "%":
        return words.percent(value)
    if unit == "money":
        return words.money(value, report.currency)
    if unit == "score":
        return words.number(value, digits=1)
    if isinstance(value, float) and not value.is_integer() and abs(value) < 100:
        return words.number(value, digits=2)
    return words.number(value)


def _change(figure: Figure, report: Report) -> str:
    if figure.change is None:
        return ""
    sign = "+" if figure.change >= 0 else ""
    return sign + i18n.Words(report.language).percent(figure.change)


def _shade(color: colors.Color, amount: float) -> colors.Color:
    """`color` mixed with white: 1.0 is the colour, 0.0 is white."""
    return colors.Color(1 - (1 - color.red) * amount, 1 - (1 - color.green) * amount, 1 - (1 - color.blue) * amount)


class _Styles:
    def __init__(self, brand: colors.Color) -> None:
        base = getSampleStyleSheet()
        self.body = ParagraphStyle("body", parent=base["BodyText"], fontName="Helvetica", fontSize=9.5, leading=12)
        self.note = ParagraphStyle("note", parent=self.body, fontSize=7.5, leading=9.5, textColor=colors.grey)
        self.heading = ParagraphStyle(
            "heading", parent=base["Heading2"], fontName="Helvetica-Bold", textColor=brand, spaceBefore=10
        )
        self.cell = ParagraphStyle("cell", parent=self.body, fontSize=8.5, leading=10.5)


def _figures_table(section: Section, report: Report, styles: _Styles, brand: colors.Color) -> PdfTable:
    rows = [
        [
            Paragraph(pdf_text(figure.label), styles.cell),
            pdf_text(_value(figure.value, figure.unit, report)),
            pdf_text(_change(figure, report)),
        ]
        for figure in section.figures
    ]
    table = PdfTable(rows, colWidths=[CONTENT_WIDTH * 0.5, CONTENT_WIDTH * 0.3, CONTENT_WIDTH * 0.2])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (1, 0), (1, -1), "Helvetica-Bold", 11),
                ("FONT", (2, 0), (2, -1), "Helvetica", 8.5),
                ("TEXTCOLOR", (2, 0), (2, -1), colors.grey),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, _shade(brand, 0.3)),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _data_table(table: Table, report: Report, styles: _Styles, brand: colors.Color) -> PdfTable:
    header = [Paragraph(f"<b>{pdf_text(column)}</b>", styles.cell) for column in table.columns]
    body = [[Paragraph(pdf_text(_value(value, "", report)), styles.cell) for value in row] for row in table.rows]
    width = CONTENT_WIDTH / max(1, len(table.columns))
    pdf_table = PdfTable([header, *body], colWidths=[width] * len(table.columns), repeatRows=1)
    pdf_table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), _shade(brand, 0.2)),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return pdf_table


def _chart(chart: Chart, brand: colors.Color) -> Drawing:
    drawing = Drawing(CONTENT_WIDTH, 62 * mm)
    plot = VerticalBarChart() if chart.kind == "bar" else HorizontalLineChart()
    plot.x, plot.y = round(12 * mm), round(14 * mm)
    plot.width, plot.height = round(CONTENT_WIDTH - 16 * mm), round(40 * mm)
    names = list(chart.series)
    plot.data = [tuple(0.0 if value is None else value for value in chart.series[name]) for name in names]
    step = max(1, len(chart.categories) // 12)
    plot.categoryAxis.categoryNames = [
        category if index % step == 0 else "" for index, category in enumerate(chart.categories)
    ]
    plot.categoryAxis.labels.fontName = "Helvetica"
    plot.categoryAxis.labels.fontSize = 6.5
    plot.categoryAxis.labels.angle = 30
    plot.categoryAxis.labels.boxAnchor = "ne"
    plot.valueAxis.labels.fontName = "Helvetica"
    plot.valueAxis.labels.fontSize = 6.5
    plot.valueAxis.valueMin = min(0.0, *(value for series in plot.data for value in series))
    styled = plot.bars if isinstance(plot, VerticalBarChart) else plot.lines
    for index in range(len(names)):
        shade = _shade(brand, SERIES_SHADES[index % len(SERIES_SHADES)])
        if isinstance(plot, VerticalBarChart):
            styled[index].fillColor = shade
            styled[index].strokeColor = shade
        else:
            styled[index].strokeColor = shade
            styled[index].strokeWidth = 1.5
    drawing.add(plot)
    legend = Legend()
    legend.x, legend.y = round(12 * mm), round(60 * mm)
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.fontName, legend.fontSize = "Helvetica", 7
    legend.colorNamePairs = [
        (_shade(brand, SERIES_SHADES[index % len(SERIES_SHADES)]), pdf_text(name)) for index, name in enumerate(names)
    ]
    legend.dxTextSpace = 4
    legend.deltax = 90
    drawing.add(legend)
    return drawing


def _header(report: Report, styles: _Styles, brand: colors.Color, logo: bytes | None) -> list[Flowable]:
    title = ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=18, leading=22, textColor=colors.white)
    subtitle = ParagraphStyle("subtitle", fontName="Helvetica", fontSize=10, leading=13, textColor=colors.white)
    words = i18n.Words(report.language)
    period = words("period", start=words.day(report.date_from), end=words.day(report.date_to))
    text = [Paragraph(pdf_text(report.client_name), title), Paragraph(pdf_text(f"{report.title} · {period}"), subtitle)]
    cells: list[object] = [text]
    widths = [CONTENT_WIDTH]
    if logo is not None:
        reader = ImageReader(io.BytesIO(logo))
        width, height = reader.getSize()
        scale = min(30 * mm / max(width, 1), 16 * mm / max(height, 1))
        cells.append(Image(io.BytesIO(logo), width=width * scale, height=height * scale))
        widths = [CONTENT_WIDTH - 34 * mm, 34 * mm]
    band = PdfTable([cells], colWidths=widths)
    band.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), brand),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (-1, 0), (-1, 0), "RIGHT"),
                ("TOPPADDING", (0, 0), (-1, -1), 8),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    return [band, Spacer(1, 4 * mm)]


def render_pdf(report: Report, logo: bytes | None = None, logo_problem: str | None = None) -> bytes:
    """An A4 PDF of `report`; `logo` is the client's logo image (PNG or JPEG bytes), if there is one, and
    `logo_problem` why the client's logo could not be shown, if it could not."""
    words = i18n.Words(report.language)
    brand = colors.HexColor(report.brand.color)
    styles = _Styles(brand)
    story: list[Flowable] = _header(report, styles, brand, logo)
    if logo_problem:
        story.append(Paragraph(pdf_text(f"{words('logo_problem')}: {logo_problem}"), styles.note))
    for section in report.sections:
        block: list[Flowable] = [Paragraph(pdf_text(section.title), styles.heading)]
        block += [Paragraph(pdf_text(line), styles.body) for line in section.summary]
        if section.figures:
            block.append(_figures_table(section, report, styles, brand))
        story.append(KeepTogether(block))
        for table in section.tables:
            story += [Spacer(1, 3 * mm), _data_table(table, report, styles, brand)]
        for chart in section.charts:
            story += [
                Spacer(1, 3 * mm),
                KeepTogether([Paragraph(f"<b>{pdf_text(chart.title)}</b>", styles.body), _chart(chart, brand)]),
            ]
        story += [Paragraph(pdf_text(note), styles.note) for note in section.notes]
    footer = f"{report.client_name} · {words('generated')} " + words.day(report.generated_at.date())

    def decorate(canvas: Canvas, document: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.grey)
        canvas.drawString(MARGIN, 10 * mm, pdf_text(footer).replace("&amp;", "&"))
        canvas.drawRightString(PAGE_WIDTH - MARGIN, 10 * mm, str(document.page))
        canvas.restoreState()

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"{report.client_name} - {report.title}",
        author="Resonance",
    )
    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
