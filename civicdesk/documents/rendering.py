"""A document as title, paragraphs, issuer and date: rendered once, then printed as HTML or
written as DOCX from the same text."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

from civicdesk.documents.models import DocumentLanguage, DocumentTemplate
from civicdesk.documents.sandbox import render_text


@dataclass(frozen=True)
class Paragraph:
    text: str
    # Chinese official documents indent every body paragraph by two characters, but not the
    # salutation ("张三：") or a heading.
    indent: bool


@dataclass(frozen=True)
class RenderedDocument:
    kind: str
    language: str
    title: str
    paragraphs: list[Paragraph]
    issuer: str
    date: str
    receipt_code: str

    @property
    def is_chinese(self) -> bool:
        return self.language == DocumentLanguage.ZH_HANS


def render_document(
    template: DocumentTemplate, context: dict[str, str], *, html: bool
) -> RenderedDocument:
    """Renders `template` over `context`. With `html`, each paragraph is HTML already escaped
    by the sandbox (user text such as `<script>` arrives as `&lt;script&gt;`)."""
    text = render_text(template.body, context, html=html)
    return RenderedDocument(
        kind=template.kind,
        language=template.language,
        # The title is a template too ("信访处理意见书" for a petition, "答复意见书" otherwise);
        # it is plain text that the page escapes.
        title=render_text(template.title, context, html=False).strip(),
        paragraphs=_paragraphs(text, html=html, chinese=template.language != "en"),
        issuer=context.get("centre_name", ""),
        date=context.get("document_date", ""),
        receipt_code=context.get("receipt_code", ""),
    )


def _paragraphs(text: str, *, html: bool, chinese: bool) -> list[Paragraph]:
    paragraphs = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        # The sandbox escaped every value; a line of its output is safe as it stands.
        content: str | SafeString = mark_safe(stripped) if html else stripped  # noqa: S308
        indent = chinese and not _is_salutation(stripped)
        paragraphs.append(Paragraph(content, indent))
    return paragraphs


# A short line ending in a colon is a salutation or a heading; a long one is a sentence that
# introduces what follows ("现将处理意见答复如下：") and is indented like any paragraph.
_SALUTATION_LENGTH = 30


def _is_salutation(line: str) -> bool:
    return line.endswith(("：", ":")) and len(line) <= _SALUTATION_LENGTH
