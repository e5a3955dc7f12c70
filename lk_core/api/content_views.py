"""Help: the platform's guide and the utility's own pages, as the portal's help pages show
them (no token needed). Each comes as sanitised HTML and as its Markdown source; the
service rules and their acceptance are under /rules/ (identity_views)."""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from lk_core.api.base import PublicAPIView
from lk_core.portal import help


class GuideSerializer(serializers.Serializer):
    title = serializers.CharField()
    language = serializers.CharField()
    html = serializers.CharField(help_text="Sanitised HTML (no script, style or events).")
    markdown = serializers.CharField(help_text="The Markdown source, to render natively.")


class HelpPageBriefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()
    language = serializers.CharField()


class HelpIndexSerializer(serializers.Serializer):
    guide = GuideSerializer(help_text="The platform's guide to the personal account.")
    pages = HelpPageBriefSerializer(many=True, help_text="The utility's own pages, in order.")


class HelpPageSerializer(HelpPageBriefSerializer):
    html = serializers.CharField(help_text="Sanitised HTML (no script, style or events).")
    markdown = serializers.CharField(help_text="The Markdown source, as staff wrote it.")


def _language() -> str:
    return (get_language() or "ru")[:2]


class HelpIndexView(PublicAPIView):
    @extend_schema(tags=["help"], responses={200: HelpIndexSerializer},
                   operation_id="help_index",
                   summary="The guide and the list of the utility's help pages")
    def get(self, request):
        language = _language()
        guide_language = language if (help.GUIDES / f"guide.{language}.md").exists() else "ru"
        pages = [{"slug": page.slug, "title": page.title, "language": page.language}
                 for page in help.help_pages(language=language)]
        return Response(HelpIndexSerializer({
            "guide": {"title": _("Help"), "language": guide_language,
                      "html": str(help.guide(language)),
                      "markdown": help.guide_source(language)},
            "pages": pages}).data)


class HelpPageView(PublicAPIView):
    @extend_schema(tags=["help"], responses={200: HelpPageSerializer},
                   parameters=[OpenApiParameter("slug", str, OpenApiParameter.PATH,
                                                pattern=r"^[-a-zA-Z0-9_]+$")],
                   operation_id="help_page_retrieve",
                   summary="One of the utility's help pages, in the request's language when "
                           "it has one")
    def get(self, request, slug: str):
        page = help.help_page_get(slug=slug, language=_language())
        return Response(HelpPageSerializer({
            "slug": page.slug, "title": page.title, "language": page.language,
            "html": str(help.markdown_render(page.body)), "markdown": page.body}).data)
