"""The conformance suites of the built-in connectors, for tests that run something over every one of them.

A list in a module pytest does not collect: a `Test*` class imported into a test module's namespace would
be collected (and run) a second time there.
"""

from __future__ import annotations

from plugins.sdk.testing import ConnectorConformance
from tests.connectors import (
    test_bluesky_conformance,
    test_facebook_pages_conformance,
    test_instagram_conformance,
    test_linkedin_conformance,
    test_mastodon_conformance,
    test_tiktok_conformance,
    test_x_conformance,
    test_youtube_conformance,
)

SUITES: list[type[ConnectorConformance]] = [
    test_bluesky_conformance.TestBlueskyConformance,
    test_facebook_pages_conformance.TestFacebookPagesConformance,
    test_instagram_conformance.TestInstagramConformance,
    test_linkedin_conformance.TestLinkedInConformance,
    test_mastodon_conformance.TestMastodonConformance,
    test_tiktok_conformance.TestTikTokConformance,
    test_x_conformance.TestXConformance,
    test_youtube_conformance.TestYouTubeConformance,
]
"""One suite per built-in connector that talks to a network (not `demo`), sorted by connector id."""
