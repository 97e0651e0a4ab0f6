"""An organisation's theme: colours checked for contrast, logo and favicon checked on their
bytes, set in the admin, worn by the citizens' pages, the staff shell, the kiosk and the
waiting-room screen."""

from __future__ import annotations

import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from onthaal.accounts.models import Role
from onthaal.accounts.tests.factories import (
    DepartmentFactory,
    LocationFactory,
    OrganisationFactory,
    staff,
)
from onthaal.audit.models import AuditEvent
from onthaal.demo.theme import GREEN, SUN, favicon_png, logo_svg
from onthaal.devices.tests.factories import enrolled
from onthaal.organisation import palette, theme, theme_files
from onthaal.organisation.models import Organisation
from onthaal.organisation.services import organisation_theme_set

colours = st.integers(0, 0xFFFFFF).map(lambda n: f"#{n:06x}")


def png(size: tuple[int, int] = (8, 8), fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "#1d5c4d").save(out, format=fmt)
    return out.getvalue()


SVG_OK = logo_svg()


def svg(body: str, *, attrs: str = "") -> bytes:
    return f'<svg xmlns="http://www.w3.org/2000/svg" {attrs}>{body}</svg>'.encode()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


# --- the palette (pure) ------------------------------------------------------------------


def test_contrast_of_known_pairs():
    assert palette.contrast("#ffffff", "#000000") == pytest.approx(21)
    assert palette.contrast("#0b5394", "#0b5394") == pytest.approx(1)
    # WebAIM's checker: #767676 on white is 4.54:1, the lightest grey that passes AA.
    assert palette.contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert palette.contrast("#777777", "#ffffff") < palette.AA_TEXT


@given(colours, colours)
def test_contrast_is_symmetric_and_between_1_and_21(a, b):
    ratio = palette.contrast(a, b)
    assert ratio == pytest.approx(palette.contrast(b, a))
    assert 1 <= ratio <= 21.0001


@given(colours, colours)
def test_an_accepted_theme_gives_every_text_pair_aa(primary, accent):
    if palette.problems(primary, accent):
        return
    for pair in palette.pairs(palette.palette(primary, accent)):
        assert palette.contrast(pair.foreground, pair.background) >= palette.AA_TEXT


def test_onthaals_own_and_the_demos_colours_pass():
    assert palette.problems() == []
    assert palette.problems(GREEN, SUN) == []


def test_the_stylesheet_sets_the_custom_properties():
    css = palette.css(palette.palette("#1d5c4d", "#f6c445"))
    assert "--brand: #1d5c4d;" in css
    assert "--accent: #f6c445;" in css
    assert re.search(r"--brand-dark: #[0-9a-f]{6};", css)
    assert re.search(r"--screen-bg: #[0-9a-f]{6};", css)


# --- the model's check -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_light_primary_colour_is_refused_on_its_field():
    organisation = OrganisationFactory(primary_colour="#5b9bd5")  # white on it: 2.96:1
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        organisation.full_clean()
    assert set(refused.value.message_dict) == {"primary_colour"}
    with translation.override("en"):
        message = refused.value.message_dict["primary_colour"][0]
    assert message == (
        "Too little contrast: #ffffff on #5b9bd5 (white text on buttons and in the staff "
        "menu) is 2.96:1; WCAG AA needs at least 4.5:1."
    )
    with translation.override("nl"), pytest.raises(ValidationError) as refused:
        organisation.full_clean()
    with translation.override("nl"):
        assert (
            "is 2,96:1; WCAG AA vraagt minstens 4,5:1."
            in (refused.value.message_dict["primary_colour"][0])
        )


@pytest.mark.django_db
def test_a_light_primary_colour_with_no_accent_is_refused_on_the_primary_only():
    """The accent left empty is derived from the primary: its failure is not its own."""
    organisation = OrganisationFactory(primary_colour="#ffcc00")
    with pytest.raises(ValidationError) as refused:
        organisation.full_clean()
    assert set(refused.value.message_dict) == {"primary_colour"}


@pytest.mark.django_db
def test_a_dark_accent_is_refused_on_its_field():
    organisation = OrganisationFactory(primary_colour=GREEN, accent_colour="#336699")
    with pytest.raises(ValidationError) as refused:
        organisation.full_clean()
    assert set(refused.value.message_dict) == {"accent_colour"}


@pytest.mark.django_db
def test_a_colour_that_is_not_hex_is_refused_by_the_field():
    organisation = OrganisationFactory(primary_colour="green")
    with pytest.raises(ValidationError) as refused:
        organisation.full_clean()
    assert set(refused.value.message_dict) == {"primary_colour"}
    assert "4.5:1" not in refused.value.message_dict["primary_colour"][0]


@pytest.mark.django_db
def test_good_colours_and_no_colours_are_accepted():
    OrganisationFactory(name="A", primary_colour=GREEN, accent_colour=SUN).full_clean()
    OrganisationFactory(name="B").full_clean()


# --- the files' check --------------------------------------------------------------------


def logo_check(data: bytes) -> str:
    return theme_files.check(data, **theme_files.RULES["logo"]).kind


def favicon_check(data: bytes) -> str:
    return theme_files.check(data, **theme_files.RULES["favicon"]).kind


def test_png_webp_and_svg_logos_and_png_ico_svg_favicons_are_accepted():
    assert logo_check(png()) == "png"
    assert logo_check(png(fmt="WEBP")) == "webp"
    assert logo_check(SVG_OK) == "svg"
    assert favicon_check(favicon_png()) == "png"
    assert favicon_check(png((32, 32), fmt="ICO")) == "ico"
    assert favicon_check(SVG_OK) == "svg"


@pytest.mark.parametrize(
    "data",
    [
        png(fmt="GIF"),
        png(fmt="JPEG"),
        b"%PDF-1.7\n1 0 obj\n",
        b"<html><script>alert(1)</script></html>",
        b"MZ\x90\x00 an executable",
        b"",
    ],
    ids=["gif", "jpeg", "pdf", "html", "exe", "empty"],
)
def test_other_files_are_refused_as_not_an_accepted_image(data):
    with pytest.raises(ValidationError) as refused:
        logo_check(data)
    assert refused.value.code == "file_type"


def test_the_bytes_count_not_the_name_an_ico_is_no_logo():
    with pytest.raises(ValidationError) as refused:
        logo_check(png((32, 32), fmt="ICO"))
    assert refused.value.code == "file_type"


def test_a_truncated_png_is_refused():
    data = png((64, 64))
    with pytest.raises(ValidationError) as refused:
        logo_check(data[: len(data) // 2])
    assert refused.value.code == "file_type"


def test_a_too_large_file_or_image_is_refused():
    with pytest.raises(ValidationError) as refused:
        favicon_check(png() + b"\0" * 200 * 1024)
    assert refused.value.code == "too_large"
    with pytest.raises(ValidationError) as refused:
        logo_check(png((5000, 1)))
    assert refused.value.code == "too_large"


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (svg("<script>alert(1)</script>"), "<script>"),
        (
            svg('<foreignObject><p xmlns="http://www.w3.org/1999/xhtml">x</p></foreignObject>'),
            "<foreignobject>",
        ),
        (svg("<rect/>", attrs='onload="alert(1)"'), "onload"),
        (svg('<circle r="3" onclick="alert(1)"/>'), "onclick"),
        (svg('<a href="javascript:alert(1)"><rect/></a>'), "javascript:"),
        (
            svg(
                '<a xmlns:xlink="http://www.w3.org/1999/xlink" xlink:href="https://x.example/">'
                "<rect/></a>"
            ),
            "href",
        ),
        (svg('<image href="https://tracker.example/p.png"/>'), "href"),
        (svg('<set attributeName="href" to="x"/>'), "attributeName"),
        (svg("<style>@import url(https://x.example/a.css);</style>"), "@import"),
        (svg('<rect style="fill: url(https://x.example/f)"/>'), "url()"),
        (
            b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg">&a;</svg>',
            "DOCTYPE",
        ),
        (
            b'<?xml-stylesheet href="https://x.example/a.css"?>'
            b'<svg xmlns="http://www.w3.org/2000/svg"/>',
            "xml-stylesheet",
        ),
    ],
    ids=[
        "script",
        "foreignObject",
        "onload",
        "onclick",
        "javascript",
        "xlink",
        "image",
        "set-href",
        "import",
        "style-url",
        "doctype",
        "xml-stylesheet",
    ],
)
def test_svg_that_could_run_or_fetch_anything_is_refused_with_the_reason(data, what):
    with pytest.raises(ValidationError) as refused:
        logo_check(data)
    assert refused.value.code == "svg_unsafe"
    assert what.lower() in str(refused.value.params["what"]).lower()


def test_svg_with_internal_links_gradients_and_styles_is_accepted():
    data = svg(
        '<defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient>'
        '</defs><style>.a { fill: url(#g); }</style><rect class="a" width="4" height="4"/>'
        '<use href="#g"/>'
    )
    assert logo_check(data) == "svg"


def test_svg_in_another_encoding_than_utf8_is_refused():
    """Its bytes would not say what the parser reads (an EBCDIC <!DOCTYPE> is not b"<!doctype")."""
    body = '<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>'
    with pytest.raises(ValidationError) as refused:
        logo_check(b'<?xml version="1.0" encoding="cp500"?>' + body.encode("cp500"))
    assert refused.value.code == "file_type"
    assert logo_check(b'<?xml version="1.0" encoding="UTF-8"?>' + body.encode()) == "svg"


def test_not_an_svg_or_broken_xml_is_refused():
    with pytest.raises(ValidationError):
        logo_check(b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"/>')
    with pytest.raises(ValidationError):
        logo_check(b"<svg xmlns='http://www.w3.org/2000/svg'><g></svg>")


# --- the admin ---------------------------------------------------------------------------


def _admin_form(organisation: Organisation, **changes) -> dict:
    return {
        "name": organisation.name,
        "kind": organisation.kind,
        "primary_colour": organisation.primary_colour,
        "accent_colour": organisation.accent_colour,
        **changes,
    }


@pytest.mark.django_db
def test_admin_sets_logo_favicon_and_colours_stored_under_their_hash(client, media):
    organisation = OrganisationFactory()
    client.force_login(staff(Role.ADMIN))
    url = reverse("admin:organisation_organisation_change", args=[organisation.pk])
    response = client.post(
        url,
        _admin_form(
            organisation,
            primary_colour=GREEN,
            accent_colour=SUN,
            logo=SimpleUploadedFile("logo.svg", SVG_OK, content_type="image/svg+xml"),
            # A PNG under another name and type: the bytes decide.
            favicon=SimpleUploadedFile("icon.gif", favicon_png(), content_type="image/gif"),
        ),
    )
    assert response.status_code == 302, response.context["adminform"].errors
    organisation.refresh_from_db()
    assert organisation.primary_colour == GREEN
    assert re.fullmatch(r"theme/[0-9a-f]{64}\.svg", organisation.logo.name)
    assert re.fullmatch(r"theme/[0-9a-f]{64}\.png", organisation.favicon.name)
    assert (media / organisation.logo.name).read_bytes() == SVG_OK
    assert AuditEvent.objects.filter(
        object_type="organisation.organisation", object_id=str(organisation.pk)
    ).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "upload", "message"),
    [
        ("logo", SimpleUploadedFile("logo.png", b"GIF89a....", "image/png"), "not an image"),
        (
            "logo",
            SimpleUploadedFile("logo.svg", svg("<script>x</script>"), "image/svg+xml"),
            "<script>",
        ),
        ("favicon", SimpleUploadedFile("f.webp", png(fmt="WEBP"), "image/webp"), "not an image"),
    ],
    ids=["gif-as-png", "svg-script", "webp-favicon"],
)
def test_admin_refuses_a_bad_file_with_a_field_error(client, media, field, upload, message):
    organisation = OrganisationFactory()
    client.force_login(staff(Role.ADMIN))
    url = reverse("admin:organisation_organisation_change", args=[organisation.pk])
    response = client.post(url, _admin_form(organisation, **{field: upload}))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == [field]
    with translation.override("en"):
        assert message in errors[field][0]
    organisation.refresh_from_db()
    assert not organisation.logo and not organisation.favicon
    assert not list(media.rglob("*.*"))


@pytest.mark.django_db
def test_admin_refuses_a_failing_contrast_and_changes_nothing(client, media):
    organisation = OrganisationFactory(primary_colour=GREEN)
    client.force_login(staff(Role.ADMIN))
    url = reverse("admin:organisation_organisation_change", args=[organisation.pk])
    response = client.post(url, _admin_form(organisation, primary_colour="#ffcc00"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["primary_colour"]
    with translation.override("en"):
        assert "Too little contrast" in errors["primary_colour"][0]
    organisation.refresh_from_db()
    assert organisation.primary_colour == GREEN


@pytest.mark.django_db
def test_only_an_administrator_opens_the_organisation_in_the_admin(client):
    organisation = OrganisationFactory()
    client.force_login(staff(Role.TEAM_LEAD, DepartmentFactory(organisation=organisation)))
    url = reverse("admin:organisation_organisation_change", args=[organisation.pk])
    assert client.get(url).status_code in (302, 403)


# --- the pages wear it -------------------------------------------------------------------


@pytest.fixture
def themed(media):
    """The municipality with the demo's theme, the OCMW with a theme of its own at its
    own location."""
    gemeente = OrganisationFactory(name="Gemeente Testdorp")
    organisation_theme_set(
        actor=None,
        organisation=gemeente,
        primary_colour=GREEN,
        accent_colour=SUN,
        logo=SVG_OK,
        favicon=favicon_png(),
    )
    ocmw = OrganisationFactory(name="OCMW Testdorp", kind=Organisation.Kind.OCMW)
    organisation_theme_set(
        actor=None, organisation=ocmw, primary_colour="#7a1f5c", logo=png((40, 20))
    )
    shared, social = LocationFactory(slug="huis"), LocationFactory(slug="sociaal")
    DepartmentFactory(organisation=gemeente).locations.add(shared)
    DepartmentFactory(organisation=ocmw).locations.add(shared, social)
    theme_cache_clear()
    return gemeente, ocmw, shared, social


def theme_cache_clear() -> None:
    from onthaal.organisation import theme_cache

    theme_cache.invalidate()


def _theme_links(html: str) -> tuple[list[str], list[str], list[str]]:
    css = re.findall(r'<link rel="stylesheet" href="(/theme/[^"]+)"', html)
    icons = re.findall(r'<link rel="icon" href="(/theme/[^"]+)" type="([^"]+)"', html)
    logos = re.findall(r'<img class="(?:brand|screen)-logo" src="(/theme/[^"]+)"', html)
    return css, [f"{u} {t}" for u, t in icons], logos


@pytest.mark.django_db
def test_citizen_pages_wear_the_municipalitys_theme(client, themed):
    gemeente = themed[0]
    html = client.get(reverse("hours:index")).content.decode()
    css, icons, logos = _theme_links(html)
    assert css == [f"/theme/{gemeente.pk}.css?v={theme.site_theme().version}"]
    assert icons == [f"/theme/{gemeente.favicon.name.split('/')[-1]} image/png"]
    assert logos == [f"/theme/{gemeente.logo.name.split('/')[-1]}"]
    stylesheet = client.get(css[0])
    assert stylesheet["Content-Type"].startswith("text/css")
    assert "immutable" in stylesheet["Cache-Control"]
    body = stylesheet.content.decode()
    assert f"--brand: {GREEN};" in body and f"--accent: {SUN};" in body


@pytest.mark.django_db
def test_the_staff_shell_wears_it(client, themed):
    client.force_login(staff(Role.DESK_AGENT, DepartmentFactory(organisation=themed[0])))
    html = client.get(reverse("accounts:start")).content.decode()
    assert "staff-header" in html
    css, icons, logos = _theme_links(html)
    assert css and icons and len(logos) == 1


@pytest.mark.django_db
def test_the_screen_shows_its_locations_organisations_logo(client, themed):
    gemeente, ocmw, shared, social = themed
    html = client.get(reverse("queue:screen", args=[shared.slug])).content.decode()
    css, _icons, logos = _theme_links(html)
    assert css[0].startswith(f"/theme/{gemeente.pk}.css")
    assert logos == [f"/theme/{gemeente.logo.name.split('/')[-1]}"]
    # The name is the header's text beside the logo (which then says nothing more).
    assert f'<p class="screen-organisation" id="screen-organisation">{gemeente.name}</p>' in html
    assert 'class="screen-logo" src="/theme/' in html and 'alt=""' in html
    # Only the OCMW works at the other location: its theme and its name there.
    html = client.get(reverse("queue:screen", args=[social.slug])).content.decode()
    css, _icons, logos = _theme_links(html)
    assert css[0].startswith(f"/theme/{ocmw.pk}.css")
    assert logos == [f"/theme/{ocmw.logo.name.split('/')[-1]}"]
    assert f'id="screen-organisation">{ocmw.name}</p>' in html
    assert gemeente.name not in html


@pytest.mark.django_db
def test_without_a_theme_the_screen_and_kiosk_name_their_locations_organisation(client):
    ocmw = OrganisationFactory(name="OCMW Wachtebeke", kind=Organisation.Kind.OCMW)
    there, empty = LocationFactory(slug="sociaal-huis-w"), LocationFactory(slug="leeg")
    DepartmentFactory(organisation=ocmw).locations.add(there)
    theme_cache_clear()

    html = client.get(reverse("queue:screen", args=[there.slug])).content.decode()
    assert '<p class="screen-organisation" id="screen-organisation">OCMW Wachtebeke</p>' in html
    assert "<title>Wachtzaal — " in html and " · OCMW Wachtebeke</title>" in html
    assert "Zonnedoorn" not in html
    # A location without departments belongs to no one yet: no name rather than a wrong one.
    html = client.get(reverse("queue:screen", args=[empty.slug])).content.decode()
    assert "screen-organisation" not in html and "Zonnedoorn" not in html
    enrolled(client, there)
    html = client.get(reverse("queue:kiosk", args=[there.slug])).content.decode()
    assert '<span class="brand-sub">OCMW Wachtebeke</span>' in html
    assert "Zonnedoorn" not in html


LONG = "Gemeente en OCMW Sint-Martens-Latem-aan-de-Leie"


@pytest.mark.django_db
def test_the_citizens_and_staff_pages_name_the_installs_own_organisations(client):
    """Not the demo's "Zonnedoorn": the municipality's name (before the OCMW's, whichever has
    a theme) in the header and the title, both names in the footer, in the page's language."""
    ocmw = OrganisationFactory(name="OCMW Sint-Martens-Latem", kind=Organisation.Kind.OCMW)
    organisation_theme_set(actor=None, organisation=ocmw, primary_colour="#7a1f5c")
    OrganisationFactory(name=LONG, kind=Organisation.Kind.MUNICIPALITY)
    theme_cache_clear()

    html = client.get(reverse("hours:index"), HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert f'<span class="brand-sub"><span class="brand-name">{LONG}</span></span>' in html
    assert f" · {LONG}</title>" in html
    assert f"<p>{LONG} en OCMW Sint-Martens-Latem — één lokaal bestuur." in html
    assert "Zonnedoorn" not in html
    html = client.get(reverse("hours:index"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert f"<p>{LONG} et OCMW Sint-Martens-Latem — une seule administration locale." in html

    client.force_login(staff(Role.DESK_AGENT, DepartmentFactory(organisation=ocmw)))
    html = client.get(reverse("accounts:start"), HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert f'<span class="brand-name">{LONG}</span> <span>·</span> <span>medewerkers</span>' in html
    assert f" · {LONG}</title>" in html and "Zonnedoorn" not in html


@pytest.mark.django_db
def test_the_organisations_name_is_read_with_the_themes_and_cached_with_them(
    client, settings, django_assert_num_queries
):
    settings.ONTHAAL_READ_CACHE = "process"  # as in the embedded install (PostgreSQL: "off")
    gemeente = OrganisationFactory(name="Gemeente Testdorp")
    theme_cache_clear()
    client.get(reverse("hours:index"))  # read and cached
    with django_assert_num_queries(0):
        assert theme.site().name == "Gemeente Testdorp"
    gemeente.name = "Gemeente Anderdorp"
    gemeente.save()  # drops the cache, as a theme's change does
    html = client.get(reverse("hours:index")).content.decode()
    assert '<span class="brand-name">Gemeente Anderdorp</span>' in html
    # One organisation: its name alone in the footer, no "one local administration".
    assert "<p>Gemeente Anderdorp\n" in html


@pytest.mark.django_db
def test_the_kiosk_wears_its_locations_theme(client, themed):
    _gemeente, ocmw, _shared, social = themed
    enrolled(client, social)
    html = client.get(reverse("queue:kiosk", args=[social.slug])).content.decode()
    css, _icons, logos = _theme_links(html)
    assert css[0].startswith(f"/theme/{ocmw.pk}.css")
    assert len(logos) == 1


@pytest.mark.django_db
def test_without_a_theme_the_pages_keep_onthaals_look(client):
    OrganisationFactory()
    html = client.get(reverse("hours:index")).content.decode()
    assert _theme_links(html) == ([], [], [])
    assert 'class="brand-mark"' in html


@pytest.mark.django_db
def test_a_saved_change_shows_at_once(client, themed):
    gemeente = themed[0]
    client.get(reverse("hours:index"))  # cached now
    gemeente.primary_colour = "#0b5394"
    gemeente.save()
    html = client.get(reverse("hours:index")).content.decode()
    css = _theme_links(html)[0][0]
    assert client.get(css).content.decode().count("--brand: #0b5394;") == 1


@pytest.mark.django_db
def test_theme_files_are_served_with_their_type_and_a_policy_that_runs_nothing(client, themed):
    gemeente = themed[0]
    name = gemeente.logo.name.split("/")[-1]
    response = client.get(reverse("theme:file", args=[name]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "script-src" not in response["Content-Security-Policy"]  # default-src 'none'
    assert b"".join(response.streaming_content) == SVG_OK


@pytest.mark.django_db
def test_only_current_theme_files_are_served(client, themed, media):
    (media / "theme" / "other.png").write_bytes(png())
    assert client.get(reverse("theme:file", args=["other.png"])).status_code == 404
    assert client.get(reverse("theme:css", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_without_an_answering_database_the_pages_get_the_default_look_and_nothing_is_kept(
    client, themed, monkeypatch
):
    """An error page must render when the database does not answer (a 403 page that needs the
    theme turned into a 500): the theme is then the default look, and that is not cached."""
    from django.db import OperationalError

    def unanswered():
        raise OperationalError("the database did not answer")

    theme_cache_clear()
    monkeypatch.setattr(theme, "_build", unanswered)
    assert theme.site_theme() is None
    assert theme.location_theme(1) is None
    # Nor whose site it is: the pages say just "Onthaal" (no name, no wrong one).
    assert theme.site() == theme.Site() and theme.site().name == ""
    html = client.get(reverse("hours:index")).content.decode()
    assert "brand-sub" not in html and "<title>" in html and themed[0].name not in html
    monkeypatch.undo()
    assert theme.site_theme() is not None  # read again once it answers
    assert theme.site().names == (themed[0].name, themed[1].name)
