"""The ink and link colours drawn with an agency's brand stay readable (WCAG 2 contrast)."""

from __future__ import annotations

import pytest

from tenants.branding import PAGE_BACKGROUND, contrast_ratio, readable_ink, readable_text


def test_contrast_ratio_is_wcags() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the lightest AA grey on white


@pytest.mark.parametrize(
    ("background", "ink"), [("#ffeb3b", "#000000"), ("#1a1a40", "#ffffff"), ("#2848b8", "#ffffff")]
)
def test_the_ink_on_a_brand_colour_is_black_or_white_whichever_reads_better(background: str, ink: str) -> None:
    assert readable_ink(background) == ink
    assert contrast_ratio(readable_ink(background), background) >= 4.5


@pytest.mark.parametrize("accent", ["#ffeb3b", "#00bcd4", "#ff9800", "#e0e0e0", "#ffffff"])
def test_a_light_accent_is_darkened_just_enough_to_be_read_as_links(accent: str) -> None:
    text = readable_text(accent)
    assert text != accent
    assert contrast_ratio(text, PAGE_BACKGROUND) >= 4.5
    assert contrast_ratio(text, "#ffffff") >= 4.5  # on the white cards too


@pytest.mark.parametrize("accent", ["#2848b8", "#1a1a40", "#b42318"])
def test_an_accent_already_readable_is_kept(accent: str) -> None:
    assert readable_text(accent) == accent
