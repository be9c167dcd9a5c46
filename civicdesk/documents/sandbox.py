"""The sandboxed engine that renders administrators' document templates.

The engine has no loaders (no {% include %} or {% extends %}), no {% load %} (no other tag
libraries), no {% url %}, {% debug %}, {% csrf_token %} or {% querystring %}, nothing that
turns escaping off: only the control tags and the default filters. Contexts hold plain strings,
never model instances, so a template cannot call a method of anything in the database or reach
settings.
"""

from __future__ import annotations

from functools import cache
from typing import ClassVar

from django.template import Context, Engine, Library, TemplateSyntaxError, defaultfilters
from django.template import defaulttags as _defaulttags
from django.utils.translation import gettext as _

# Tags a document may use; anything else in a template is a syntax error.
ALLOWED_TAGS = frozenset(
    {
        "comment",
        "cycle",
        "filter",
        "firstof",
        "for",
        "if",
        "ifchanged",
        "now",
        "regroup",
        "resetcycle",
        "spaceless",
        "templatetag",
        "verbatim",
        "widthratio",
        "with",
    }
)

# Found by the engine as this module's `register`, its only builtin library.
register = Library()
register.tags.update(
    {name: tag for name, tag in _defaulttags.register.tags.items() if name in ALLOWED_TAGS}
)
# Without `safe`, `safeseq` and {% autoescape off %}, nothing in a template can stop the HTML
# page from escaping what residents wrote.
UNSAFE_FILTERS = frozenset({"safe", "safeseq"})
register.filters.update(
    {
        name: function
        for name, function in defaultfilters.register.filters.items()
        if name not in UNSAFE_FILTERS
    }
)


class SandboxEngine(Engine):
    default_builtins: ClassVar[list[str]] = []


@cache
def sandbox_engine() -> Engine:
    return SandboxEngine(
        loaders=[], libraries={}, builtins=["civicdesk.documents.sandbox"], autoescape=True
    )


def render_text(body: str, context: dict[str, str], *, html: bool) -> str:
    """Renders `body` over `context`: escaped for an HTML page, or plain text for DOCX.

    Raises TemplateSyntaxError for a template that does not compile.
    """
    template = sandbox_engine().from_string(body)
    return template.render(Context(context, autoescape=html))


def template_problem(body: str, *, kind: str, language: str) -> str | None:
    """Why `body` cannot be used, in words for the administrator; None when it renders."""
    from civicdesk.documents.context import sample_context

    context = sample_context(kind, language)
    try:
        render_text(body, context, html=True)
        render_text(body, context, html=False)
    except TemplateSyntaxError as error:
        return _("The template has a syntax error: {error}").format(error=error)
    except Exception as error:  # a filter given a bad argument fails only when rendering
        return _("The template cannot be rendered: {error}").format(error=error)
    return None
