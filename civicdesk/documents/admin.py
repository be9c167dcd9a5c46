"""Document templates are data: an administrator edits them here, previews the text being edited
against invented values, and cannot save a template that does not compile and render."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from civicdesk.documents.context import document_language, sample_context
from civicdesk.documents.models import DocumentKind, DocumentTemplate
from civicdesk.documents.rendering import render_document
from civicdesk.documents.sandbox import template_problem


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(admin.ModelAdmin):
    list_display = ["kind", "language", "title", "active", "updated"]
    list_filter = ["kind", "language", "active"]
    search_fields = ["title", "body"]
    fields = ["kind", "language", "title", "body", "active", "available_names", "updated"]
    readonly_fields = ["available_names", "updated"]
    change_form_template = "admin/documents/documenttemplate/change_form.html"

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # Templates are edited as code: a fixed-width font shows the {% %} structure.
        if db_field.name == "body":
            kwargs["widget"] = forms.Textarea(
                attrs={"rows": 20, "cols": 100, "style": "font-family: monospace"}
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("Names a template may use"))
    def available_names(self, obj: DocumentTemplate | None) -> SafeString:
        kind = obj.kind if obj and obj.kind else DocumentKind.ACCEPTANCE_NOTICE
        language = obj.language if obj and obj.language else "zh-hans"
        sample = sample_context(kind, language)
        rows = format_html_join(
            "", "<tr><td><code>{{{{ {} }}}}</code></td><td>{}</td></tr>", sorted(sample.items())
        )
        return format_html('<table id="template-names">{}</table>', rows)

    def get_urls(self) -> list[URLPattern]:
        preview = path(
            "preview/",
            self.admin_site.admin_view(self.preview_view),
            name="documents_documenttemplate_preview",
        )
        return [preview, *super().get_urls()]

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """Renders the posted (unsaved) title and body against invented values."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not (self.has_change_permission(request) or self.has_add_permission(request)):
            raise PermissionDenied(str(_("You may not edit document templates.")))
        draft = DocumentTemplate(
            kind=request.POST.get("kind") or DocumentKind.ACCEPTANCE_NOTICE,
            language=document_language(request.POST.get("language")),
            title=request.POST.get("title", ""),
            body=request.POST.get("body", ""),
        )
        if draft.kind not in DocumentKind.values:
            draft.kind = DocumentKind.ACCEPTANCE_NOTICE
        problems = [
            problem
            for text in (draft.title, draft.body)
            if (problem := template_problem(text, kind=draft.kind, language=draft.language))
        ]
        context: dict[str, Any] = {"preview": True, "problems": problems}
        if not problems:
            sample = sample_context(draft.kind, draft.language)
            context["document"] = render_document(draft, sample, html=True)
        return render(request, "documents/print.html", context)
