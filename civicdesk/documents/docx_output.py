"""Writes a rendered document as DOCX that staff can still edit in Word or WPS."""

from __future__ import annotations

from io import BytesIO

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.text.paragraph import Paragraph as DocxParagraph
from docx.text.run import Run

from civicdesk.documents.rendering import RenderedDocument

# GB/T 9704 (党政机关公文格式): A4, title in a Song face, body in FangSong 三号 (16 pt).
_CHINESE_TITLE = ("宋体", Pt(22))
_CHINESE_BODY = ("仿宋", Pt(16))
_LATIN_FONT = "Times New Roman"
_ENGLISH_TITLE_SIZE = Pt(16)
_ENGLISH_BODY_SIZE = Pt(12)


def docx_bytes(document: RenderedDocument) -> bytes:
    word = Document()
    _set_up_page(word)
    _set_normal_style(word, document)
    word.core_properties.title = document.title
    word.core_properties.subject = document.receipt_code
    _title(word, document)
    for paragraph in document.paragraphs:
        _body_paragraph(word, document, paragraph.text, indent=paragraph.indent)
    word.add_paragraph()
    for line in (document.issuer, document.date):
        if line:
            signed = word.add_paragraph()
            signed.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            _run(signed, line, document)
    buffer = BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def _set_up_page(word: WordDocument) -> None:
    section = word.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)


def _set_normal_style(word: WordDocument, document: RenderedDocument) -> None:
    style = word.styles["Normal"]
    style.font.name = _LATIN_FONT
    style.font.size = _CHINESE_BODY[1] if document.is_chinese else _ENGLISH_BODY_SIZE
    # Word takes the font for Chinese characters from w:eastAsia, not from the font name.
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), _CHINESE_BODY[0])


def _title(word: WordDocument, document: RenderedDocument) -> None:
    heading = word.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.paragraph_format.space_after = Pt(18)
    run = _run(heading, document.title, document, east_asian_font=_CHINESE_TITLE[0])
    run.bold = True
    run.font.size = _CHINESE_TITLE[1] if document.is_chinese else _ENGLISH_TITLE_SIZE


def _body_paragraph(
    word: WordDocument, document: RenderedDocument, text: str, *, indent: bool
) -> None:
    paragraph = word.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    size = _CHINESE_BODY[1] if document.is_chinese else _ENGLISH_BODY_SIZE
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(size.pt * 2)
    if not document.is_chinese:
        paragraph.paragraph_format.space_after = Pt(6)
    _run(paragraph, text, document)


def _run(
    paragraph: DocxParagraph,
    text: str,
    document: RenderedDocument,
    *,
    east_asian_font: str = _CHINESE_BODY[0],
) -> Run:
    run = paragraph.add_run(text)
    run.font.name = _LATIN_FONT
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asian_font)
    return run
