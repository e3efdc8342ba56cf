# Over 400 lines: the make-believe network's whole generator; it has no API to split along.
"""The built-in `demo` connector: a make-believe social network that needs no network at all.

It exists so a fresh install, the portal and the test suites have realistic data to look at and
analytics have something to find. Everything is simulated, and deterministically so:

* Each account handle gets a *profile* derived from a SHA-256 of the handle: audience size,
  daily follower growth, organic and per-post reach, engagement rate, posting cadence (1 to 10
  posts a week), French/English mix, how chatty people are about it, whether it sometimes goes
  silent for weeks, and how often it suffers a bad-buzz episode.
* Each day is simulated from a `random.Random` seeded with the handle's hash and the day's
  ordinal, never from a running state, so a day's numbers are the same whatever window is asked
  for: re-syncing overlapping windows gives identical values.
* Daily metrics follow the shape of real page insights: followers are a stock growing
  exponentially with a little noise; impressions, reach and interactions are flows with weekly
  seasonality (weekdays above weekends) made of an organic part plus each post's own numbers;
  reach never exceeds impressions, the reach among non-followers is a share of reach typical of
  the handle, and engagements are exactly reactions + comments + shares + saves + clicks;
  `page_posts` and `page_mentions` count the posts and mentions yielded that day.
* Posts come on days drawn from the cadence, never during a silence gap, at office-ish hours
  (UTC), in French or English; careers/jobs/talent handles post employer-brand content, other
  handles do so for about 15% of their posts.
* Mentions and comments arrive a few a day with mixed sentiment; every 60 to 90 days (depending
  on the handle) a 2-4 day burst brings 5 to 10 times the usual volume, mostly negative. Their
  texts come from `MENTION_TEMPLATES`, keyed by (language, sentiment), which tests may use as
  ground truth for sentiment analysis.

A competitor account yields only the metrics a public page shows, flagged `public_only`.

Two account settings exist for tests of the sync engine: `fail_after_days` (int N) raises
`TransientError` once N days of this run are checkpointed and more remain, and `hang_seconds`
(a number) sleeps that long before yielding anything.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import random
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar, Final, Literal
from urllib.parse import quote

from plugins.sdk import (
    AccountRef,
    AuthenticationError,
    Capability,
    Checkpoint,
    Connector,
    Mention,
    MetricDeclaration,
    MetricPoint,
    Post,
    Quality,
    Record,
    TransientError,
    Window,
    hookimpl,
)

Language = Literal["fr", "en"]
Sentiment = Literal["positive", "negative", "neutral"]

BASE_URL: Final = "https://demo.resonance.invalid"
"""Where the simulated posts and mentions pretend to live (`.invalid` never resolves)."""

_EPOCH: Final = date(2025, 1, 1).toordinal()
"""Day on which a handle has exactly its base follower count."""

# --- metrics --------------------------------------------------------------------------------------

FOLLOWERS: Final = "page_fans"
IMPRESSIONS: Final = "page_impressions"
REACH: Final = "page_reach"
REACH_NON_FOLLOWERS: Final = "page_reach_non_followers"
ENGAGEMENTS: Final = "page_engagements"
REACTIONS: Final = "page_reactions"
COMMENTS: Final = "page_comments"
SHARES: Final = "page_shares"
SAVES: Final = "page_saves"
CLICKS: Final = "page_clicks"
VIDEO_VIEWS: Final = "page_video_views"
PROFILE_VIEWS: Final = "page_profile_views"
POSTS: Final = "page_posts"
MENTIONS: Final = "page_mentions"

_METRICS: Final = (
    MetricDeclaration(
        native=FOLLOWERS,
        canonical="followers",
        unit="accounts",
        description="Accounts following the page at the end of the day.",
    ),
    MetricDeclaration(
        native=IMPRESSIONS,
        canonical="impressions",
        unit="views",
        description="Times the page's content was displayed that day.",
    ),
    MetricDeclaration(
        native=REACH,
        canonical="reach",
        unit="accounts",
        description="Distinct accounts that saw the page's content that day.",
    ),
    MetricDeclaration(
        native=REACH_NON_FOLLOWERS,
        canonical="reach_non_followers",
        unit="accounts",
        description="People who saw the page's content that day without following it (part of page_reach).",
    ),
    MetricDeclaration(
        native=ENGAGEMENTS,
        canonical="engagements",
        unit="actions",
        description="Reactions, comments, shares, saves and clicks, added up.",
    ),
    MetricDeclaration(
        native=REACTIONS, canonical="reactions", unit="actions", description="Likes and other reactions."
    ),
    MetricDeclaration(
        native=COMMENTS, canonical="comments", unit="actions", description="Comments and replies on the page's content."
    ),
    MetricDeclaration(native=SHARES, canonical="shares", unit="actions", description="Shares of the page's content."),
    MetricDeclaration(
        native=SAVES, canonical="saves", unit="actions", description="Times the page's content was saved."
    ),
    MetricDeclaration(
        native=CLICKS, canonical="clicks", unit="actions", description="Clicks on links in the page's content."
    ),
    MetricDeclaration(
        native=VIDEO_VIEWS, canonical="video_views", unit="views", description="Plays of the page's videos."
    ),
    MetricDeclaration(
        native=PROFILE_VIEWS, canonical="profile_views", unit="views", description="Visits to the page itself."
    ),
    MetricDeclaration(
        native=POSTS, canonical="posts_published", unit="posts", description="Posts the page published that day."
    ),
    MetricDeclaration(
        native=MENTIONS,
        canonical="mentions",
        unit="mentions",
        description="Mentions of and comments to the page that day.",
    ),
)

PUBLIC_METRICS: Final = frozenset({FOLLOWERS, POSTS, ENGAGEMENTS, REACTIONS, COMMENTS, SHARES})
"""The native metrics anyone can see on a page, hence all a competitor account yields."""

# --- texts ----------------------------------------------------------------------------------------

MENTION_TEMPLATES: Final[Mapping[tuple[Language, Sentiment], tuple[str, ...]]] = {
    ("fr", "positive"): (
        "Franchement bravo @{handle}, service client au top 👏",
        "Je recommande @{handle} les yeux fermés, toujours aussi pro.",
        "Super expérience avec @{handle} aujourd'hui, merci à toute l'équipe !",
        "Livraison rapide et produit conforme, merci @{handle} 🙌",
        "@{handle} vous avez encore assuré, j'adore ce que vous faites.",
        "Très belle initiative de @{handle}, ça fait plaisir à voir.",
        "Conseiller adorable chez @{handle}, problème réglé en 5 minutes.",
        "Cliente depuis 3 ans chez @{handle} et toujours ravie.",
        "La nouvelle appli de @{handle} est vraiment bien pensée, bravo !",
        "Merci @{handle} pour votre réactivité, c'est rare de nos jours.",
        "Coup de cœur pour la dernière campagne de @{handle} ❤️",
        "Enfin une marque qui écoute ses clients. Chapeau @{handle} !",
    ),
    ("fr", "negative"): (
        "Trois semaines que j'attends un remboursement @{handle}, c'est inadmissible.",
        "Service client injoignable chez @{handle}, je suis à bout.",
        "Encore une panne @{handle} ?! Ça devient vraiment pénible.",
        "Très déçu par @{handle}, plus jamais je ne commande chez vous.",
        "@{handle} vous comptez répondre un jour à mes messages ?",
        "Produit reçu cassé et aucune réponse de @{handle}. Bravo…",
        "Les prix de @{handle} ont encore augmenté, c'est du vol.",
        "Je déconseille fortement @{handle}, une vraie galère du début à la fin.",
        "Commande annulée sans explication par @{handle}, merci pour rien.",
        "45 minutes d'attente au téléphone avec @{handle} pour rien 😡",
        "@{handle} votre appli plante à chaque mise à jour, c'est honteux.",
        "Scandaleux, la façon dont @{handle} traite ses clients fidèles.",
    ),
    ("fr", "neutral"): (
        "Quelqu'un sait si @{handle} ouvre le dimanche ?",
        "@{handle} est-ce que la livraison est possible en Belgique ?",
        "Vu une pub de @{handle} dans le métro ce matin.",
        "@{handle} annonce un nouveau magasin à Lyon d'après la presse.",
        "Petite question pour @{handle} : vos offres sont-elles cumulables ?",
        "Article sur la stratégie de @{handle} dans la presse éco ce matin.",
        "@{handle} quels sont vos horaires pendant les vacances ?",
        "Je compare @{handle} avec d'autres offres avant de me décider.",
        "Conférence de @{handle} au salon demain à 14h.",
        "Est-ce que @{handle} recrute en alternance cette année ?",
        "@{handle} a changé de logo, vous aviez remarqué ?",
        "Le rapport annuel de @{handle} est sorti ce matin.",
    ),
    ("en", "positive"): (
        "Huge thanks to @{handle} for sorting out my order so quickly!",
        "Honestly @{handle} has the best customer support I've dealt with.",
        "Loving the new release from @{handle} 🔥",
        "Shoutout to @{handle}, you folks never disappoint.",
        "Been using @{handle} for years and it just keeps getting better.",
        "@{handle} nailed it with this campaign, well done team!",
        "Great experience with @{handle} today, would recommend.",
        "Fast delivery, great quality. Thanks @{handle}! 🙌",
        "The @{handle} team went above and beyond for us this week.",
        "Really impressed by how @{handle} handled the feedback. Respect.",
        "@{handle} just made my day, thank you!",
        "Finally a brand that listens. Kudos @{handle}.",
    ),
    ("en", "negative"): (
        "Still waiting on a refund from @{handle}, three weeks and counting. Unacceptable.",
        "@{handle} your app keeps crashing after every update. Fix it!",
        "Worst customer service ever, @{handle}. Nobody answers.",
        "Cancelled my subscription with @{handle}. Done with the hidden fees.",
        "Item arrived broken and @{handle} won't reply. Great job…",
        "Another outage @{handle}? This is getting ridiculous.",
        "Really disappointed with @{handle} lately, quality has gone downhill.",
        "@{handle} charged me twice and support just ignores me 😡",
        "Avoid @{handle} at all costs, total nightmare from start to finish.",
        "On hold with @{handle} for 45 minutes. Absolutely useless.",
        "Shameful how @{handle} treats its loyal customers.",
        "@{handle} do you ever read your DMs? Still no answer.",
    ),
    ("en", "neutral"): (
        "Does anyone know if @{handle} ships to Canada?",
        "@{handle} what are your opening hours on bank holidays?",
        "Saw an @{handle} ad on the train this morning.",
        "@{handle} is opening a new office in Dublin, according to the news.",
        "Quick question for @{handle}: can discounts be combined?",
        "Interesting piece on @{handle}'s strategy in the business press today.",
        "Comparing @{handle} with a couple of alternatives before I decide.",
        "@{handle} will be speaking at the conference tomorrow at 2pm.",
        "Is @{handle} hiring interns this year?",
        "Looks like @{handle} changed their logo.",
        "The @{handle} annual report is out.",
        "@{handle} any plans for a dark mode in the app?",
    ),
}
"""Mention texts by (language, sentiment); `{handle}` is the account handle without a leading `@`."""

_POST_TEMPLATES: Final[Mapping[tuple[Language, bool], tuple[str, ...]]] = {
    ("fr", False): (
        "Nouvelle semaine, nouveaux projets ! Découvrez ce que prépare l'équipe 🚀",
        "Merci à tous pour vos retours sur notre dernier lancement 🙏",
        "Retour en images sur notre événement d'hier à Paris.",
        "Nos conseils du jour pour bien démarrer la semaine.",
        "Découvrez notre nouvelle collection, disponible dès aujourd'hui.",
        "Fiers d'annoncer notre partenariat avec une association locale 💚",
        "Les coulisses de notre atelier, en vidéo.",
        "Qu'aimeriez-vous voir dans notre prochaine mise à jour ? Dites-le en commentaire !",
    ),
    ("en", False): (
        "New week, new projects! Here's what the team has been working on 🚀",
        "Thank you all for the feedback on our latest launch 🙏",
        "Highlights from yesterday's event in London.",
        "Three quick tips to get your week off to a good start.",
        "Our new collection is live today. Take a look!",
        "Proud to announce our partnership with a local charity 💚",
        "Behind the scenes at our workshop, on video.",
        "What would you like to see in our next update? Tell us in the comments!",
    ),
    ("fr", True): (
        "Nous recrutons ! Rejoignez une équipe passionnée 👉 toutes nos offres sur notre site.",
        "Rencontrez Camille, développeuse chez nous depuis 3 ans.",
        "Une journée dans la vie de notre équipe support.",
        "Alternance, stage, CDI : découvrez nos opportunités de carrière.",
        "Nos collaborateurs racontent pourquoi ils nous ont rejoints.",
        "Retour sur notre séminaire d'équipe : deux jours pour imaginer la suite ensemble.",
    ),
    ("en", True): (
        "We're hiring! Join a team that loves what it does 👉 all openings on our site.",
        "Meet Sam, who joined our data team two years ago.",
        "A day in the life of our customer support team.",
        "Internships, graduate roles, senior positions: explore careers with us.",
        "Our people share why they chose to work here.",
        "Back from our team offsite: two days to shape what comes next, together.",
    ),
}

_FIRST_NAMES: Final = (
    "camille",
    "lucas",
    "emma",
    "hugo",
    "chloe",
    "louis",
    "manon",
    "jules",
    "sarah",
    "theo",
    "olivia",
    "james",
    "amelia",
    "noah",
    "grace",
    "liam",
    "sophie",
    "ethan",
    "julie",
    "nathan",
)
_LAST_NAMES: Final = (
    "martin",
    "bernard",
    "dubois",
    "petit",
    "moreau",
    "leroy",
    "roux",
    "fournier",
    "smith",
    "jones",
    "taylor",
    "brown",
    "wilson",
    "evans",
    "walker",
    "clarke",
)

_EMPLOYER_BRAND_WORDS: Final = ("career", "jobs", "talent")
_EMPLOYER_BRAND_TAG: Final = "employer_brand"

_REFUSED_TOKEN: Final = "invalid"  # noqa: S105 - the documented way to simulate refused credentials

# --- randomness -------------------------------------------------------------------------------------

_STREAM_METRICS: Final = 1
_STREAM_POSTS: Final = 2
_STREAM_MENTIONS: Final = 3
_STREAM_SILENCE: Final = 4
_STREAM_BURST: Final = 5
_STREAM_AUDIENCE: Final = 6


def _handle_seed(handle: str) -> int:
    """A stable 64-bit number for a handle (Python's `hash()` changes from one process to the next)."""
    return int.from_bytes(hashlib.sha256(handle.encode("utf-8")).digest()[:8], "big")


def _rng(seed: int, index: int, stream: int) -> random.Random:
    """An independent generator for one (handle, day or block, stream) triple."""
    return random.Random((seed << 72) | (index << 8) | stream)


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method; a rounded normal for large means)."""
    if mean <= 0:
        return 0
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


# --- the simulated account --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Profile:
    """Everything that characterises one handle, drawn once from its hash."""

    handle: str
    seed: int
    base_followers: float
    daily_growth: float
    organic_rate: float
    post_rate: float
    engagement_rate: float
    video_share: float
    posts_per_week: float
    fr_share: float
    mentions_per_day: float
    silence_period: int | None
    silence_offset: int
    burst_period: int
    burst_offset: int
    employer_brand: bool


def _profile(handle: str) -> _Profile:
    seed = _handle_seed(handle)
    rng = random.Random(seed)
    return _Profile(
        handle=handle,
        seed=seed,
        base_followers=math.exp(rng.uniform(math.log(500), math.log(200_000))),
        daily_growth=rng.uniform(0.0003, 0.003),
        organic_rate=rng.uniform(0.01, 0.04),
        post_rate=rng.uniform(0.08, 0.3),
        engagement_rate=rng.uniform(0.01, 0.05),
        video_share=rng.uniform(0.05, 0.4),
        posts_per_week=rng.uniform(1.0, 10.0),
        fr_share=rng.uniform(0.15, 0.85),
        mentions_per_day=rng.uniform(1.0, 5.0),
        silence_period=rng.randint(80, 140) if rng.random() < 0.35 else None,
        silence_offset=rng.randrange(1000),
        burst_period=rng.randint(60, 90),
        burst_offset=rng.randrange(1000),
        employer_brand=any(word in handle.lower() for word in _EMPLOYER_BRAND_WORDS),
    )


@dataclass(frozen=True, slots=True)
class _Episode:
    """A run of days with unusual behaviour (a silence gap or a bad-buzz burst)."""

    first: int
    days: int
    intensity: float


def _episode_on(
    seed: int, stream: int, ordinal: int, *, period: int, offset: int, min_days: int, max_days: int, chance: float
) -> _Episode | None:
    """The episode covering `ordinal`, if any: each block of `period` days holds at most one, placed at random."""
    block = (ordinal + offset) // period
    rng = _rng(seed, block, stream)
    if rng.random() >= chance:
        return None
    days = rng.randint(min_days, max_days)
    first = block * period - offset + rng.randint(0, period - days)
    intensity = rng.uniform(5.0, 10.0)
    return _Episode(first, days, intensity) if first <= ordinal < first + days else None


def _is_silent(profile: _Profile, ordinal: int) -> bool:
    if profile.silence_period is None:
        return False
    gap = _episode_on(
        profile.seed,
        _STREAM_SILENCE,
        ordinal,
        period=profile.silence_period,
        offset=profile.silence_offset,
        min_days=14,
        max_days=35,
        chance=0.5,
    )
    return gap is not None


def _burst(profile: _Profile, ordinal: int) -> _Episode | None:
    return _episode_on(
        profile.seed,
        _STREAM_BURST,
        ordinal,
        period=profile.burst_period,
        offset=profile.burst_offset,
        min_days=2,
        max_days=4,
        chance=1.0,
    )


def _weekday_factor(day: date) -> float:
    """Audience activity by day of week: working days are busier than weekends."""
    return (1.0, 1.08, 1.1, 1.05, 0.95, 0.6, 0.55)[day.weekday()]


def _followers(profile: _Profile, day: date, rng: random.Random) -> int:
    """Closed form of the day, so it never depends on where a window starts."""
    trend = profile.base_followers * math.exp(profile.daily_growth * (day.toordinal() - _EPOCH))
    return max(0, round(trend * (1.0 + rng.gauss(0.0, 0.0003))))


def _language(profile: _Profile, rng: random.Random) -> Language:
    return "fr" if rng.random() < profile.fr_share else "en"


def _at(day: date, rng: random.Random, mean_hour: float, spread: float) -> datetime:
    """A UTC moment of `day`, around `mean_hour` (the tails wrap around midnight)."""
    hour = rng.gauss(mean_hour, spread) % 24.0
    return datetime.combine(day, time(tzinfo=UTC)) + timedelta(seconds=int(hour * 3600))


def _url(*segments: str) -> str:
    return "/".join([BASE_URL, *(quote(segment, safe="") for segment in segments)])


# --- one simulated day ------------------------------------------------------------------------------

_INTERACTIONS: Final = ((REACTIONS, 0.62), (COMMENTS, 0.08), (SHARES, 0.07), (SAVES, 0.05), (CLICKS, 0.18))
"""How engagement splits between interaction kinds, as shares of the engagement rate."""


@dataclass(slots=True)
class _Day:
    metrics: dict[str, float] = field(default_factory=dict)
    posts: list[Post] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)


def _content_numbers(impressions: int, reach_share: float, rate: float, rng: random.Random) -> dict[str, float]:
    """Reach and interactions for some content seen `impressions` times; engagements add up its parts."""
    numbers: dict[str, float] = {IMPRESSIONS: float(impressions), REACH: float(round(impressions * reach_share))}
    for native, share in _INTERACTIONS:
        numbers[native] = float(round(impressions * rate * share * rng.lognormvariate(0.0, 0.25)))
    numbers[ENGAGEMENTS] = sum(numbers[native] for native, _ in _INTERACTIONS)
    return numbers


def _posts(profile: _Profile, day: date, followers: int) -> list[Post]:
    ordinal = day.toordinal()
    if _is_silent(profile, ordinal):
        return []
    rng = _rng(profile.seed, ordinal, _STREAM_POSTS)
    weekend = day.weekday() >= 5
    count = _poisson(rng, profile.posts_per_week / 7 * (0.5 if weekend else 1.2))
    moments = sorted(_at(day, rng, 12.5, 3.0) for _ in range(count))
    posts = []
    for n, published_at in enumerate(moments, start=1):
        employer_brand = profile.employer_brand or rng.random() < 0.15
        language = _language(profile, rng)
        media_type = "video" if rng.random() < profile.video_share else rng.choice(("image", "image", "text", "link"))
        impressions = round(followers * profile.post_rate * _weekday_factor(day) * rng.lognormvariate(0.0, 0.5))
        metrics = _content_numbers(impressions, rng.uniform(0.6, 0.9), profile.engagement_rate, rng)
        if media_type == "video":
            metrics[VIDEO_VIEWS] = float(round(impressions * rng.uniform(0.25, 0.6)))
        external_id = f"{profile.handle}-post-{day.isoformat()}-{n}"
        posts.append(
            Post(
                external_id=external_id,
                published_at=published_at,
                text=rng.choice(_POST_TEMPLATES[language, employer_brand]),
                url=_url(profile.handle, "posts", external_id),
                media_type=media_type,
                metrics=metrics,
                tags=(_EMPLOYER_BRAND_TAG,) if employer_brand else (),
            )
        )
    return posts


def _sentiment(rng: random.Random, in_burst: bool) -> Sentiment:
    roll = rng.random()
    if in_burst:
        return "negative" if roll < 0.8 else ("neutral" if roll < 0.93 else "positive")
    return "positive" if roll < 0.45 else ("neutral" if roll < 0.8 else "negative")


def _author(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST_NAMES)}{rng.choice(('', '.', '_'))}{rng.choice(_LAST_NAMES)}{rng.randint(1, 99)}"


def _mentions(profile: _Profile, day: date, posts: list[Post]) -> list[Mention]:
    rng = _rng(profile.seed, day.toordinal(), _STREAM_MENTIONS)
    burst = _burst(profile, day.toordinal())
    mean = profile.mentions_per_day * (0.7 + 0.3 * _weekday_factor(day)) * (burst.intensity if burst else 1.0)
    shown_handle = profile.handle.lstrip("@")
    drafts: list[tuple[datetime, str, str, Language, Literal["mention", "comment"], str | None]] = []
    for _ in range(_poisson(rng, mean)):
        language = _language(profile, rng)
        text = rng.choice(MENTION_TEMPLATES[language, _sentiment(rng, burst is not None)]).format(handle=shown_handle)
        published_at = _at(day, rng, 14.0, 4.5)
        if posts and rng.random() < 0.35:
            post = rng.choice(posts)
            latest = datetime.combine(day, time(23, 59, 59, tzinfo=UTC))
            published_at = min(latest, post.published_at + timedelta(minutes=rng.randint(1, 360)))
            drafts.append((published_at, text, _author(rng), language, "comment", post.external_id))
        else:
            drafts.append((published_at, text, _author(rng), language, "mention", None))
    drafts.sort(key=lambda draft: draft[0])
    mentions = []
    for n, (published_at, text, author, language, kind, post_id) in enumerate(drafts, start=1):
        external_id = f"{profile.handle}-mention-{day.isoformat()}-{n}"
        mentions.append(
            Mention(
                external_id=external_id,
                published_at=published_at,
                text=text,
                author=author,
                url=_url(author, "status", external_id),
                language=language,
                kind=kind,
                post_external_id=post_id,
            )
        )
    return mentions


def _non_followers_reached(profile: _Profile, day: date, reach: float) -> float:
    """The part of a day's reach outside the followers: a share typical of the handle (a page seen mostly
    by its own employees reaches few others), jittered daily. Its own random stream leaves every other
    number of the day as it was."""
    typical = _rng(profile.seed, 0, _STREAM_AUDIENCE).uniform(0.05, 0.6)
    daily = _rng(profile.seed, day.toordinal(), _STREAM_AUDIENCE).uniform(0.8, 1.2)
    return float(round(reach * min(1.0, typical * daily)))


def _simulate_day(profile: _Profile, day: date) -> _Day:
    """Every record of one day; depends on nothing but the profile and the day."""
    rng = _rng(profile.seed, day.toordinal(), _STREAM_METRICS)
    followers = _followers(profile, day, rng)
    posts = _posts(profile, day, followers)
    mentions = _mentions(profile, day, posts)

    organic = round(followers * profile.organic_rate * _weekday_factor(day) * rng.lognormvariate(0.0, 0.15))
    totals = _content_numbers(organic, rng.uniform(0.5, 0.8), profile.engagement_rate * 0.5, rng)
    for post in posts:
        for native, value in post.metrics.items():
            totals[native] = totals.get(native, 0) + value
    totals[VIDEO_VIEWS] = totals.get(VIDEO_VIEWS, 0) + round(organic * profile.video_share * rng.uniform(0.05, 0.15))
    totals[PROFILE_VIEWS] = round(totals[REACH] * rng.uniform(0.01, 0.03)) + 2 * len(mentions)
    totals[REACH_NON_FOLLOWERS] = _non_followers_reached(profile, day, totals[REACH])
    totals[FOLLOWERS] = followers
    totals[POSTS] = len(posts)
    totals[MENTIONS] = len(mentions)
    return _Day(metrics=totals, posts=posts, mentions=mentions)


# --- the connector ----------------------------------------------------------------------------------


def _int_setting(settings: Mapping[str, Any], key: str) -> int | None:
    value = settings.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _seconds_setting(settings: Mapping[str, Any], key: str) -> float | None:
    value = settings.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _resume_from(window: Window, state: Mapping[str, Any]) -> date:
    """The first day still to fetch: the day after the checkpointed one when it falls in the window."""
    last_day = state.get("last_day")
    if not isinstance(last_day, str):
        return window.since
    try:
        finished = date.fromisoformat(last_day)
    except ValueError:
        return window.since  # an unreadable checkpoint costs a re-fetch, which gives identical records
    return max(window.since, finished + timedelta(days=1))


class DemoConnector(Connector):
    """A simulated network with deterministic, realistic data per handle; needs no credentials."""

    id = "demo"
    name = "Demo network"
    version = "1.0.0"
    metrics = _METRICS
    capabilities: ClassVar[frozenset[Capability]] = frozenset({"account_metrics", "posts", "mentions", "public_data"})
    default_base_url = None
    credentials_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "properties": {
            "api_token": {
                "type": "string",
                "title": "API token",
                "description": 'Optional. Any non-empty value works except "invalid", which is refused.',
                "minLength": 1,
                "writeOnly": True,
            },
        },
        "additionalProperties": False,
    }

    async def check(self, credentials: Mapping[str, Any]) -> None:
        """Accept no credentials or any non-empty `api_token` except "invalid"."""
        unknown = sorted(set(credentials) - {"api_token"})
        if unknown:
            raise AuthenticationError(f"demo: unknown credential field(s): {', '.join(unknown)}; only api_token exists")
        if "api_token" not in credentials:
            return
        token = credentials["api_token"]
        if not isinstance(token, str) or not token.strip():
            raise AuthenticationError("demo: api_token must be a non-empty string")
        if token == _REFUSED_TOKEN:
            raise AuthenticationError(f"demo: api_token {_REFUSED_TOKEN!r} was refused by the demo network")

    async def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        """Yield each day's metric points, posts and mentions, then a checkpoint, from `window.since` to `until`."""
        await self.check(account.credentials)
        hang = _seconds_setting(account.settings, "hang_seconds")
        if hang is not None:
            await asyncio.sleep(hang)
        fail_after = _int_setting(account.settings, "fail_after_days")
        competitor = account.kind == "competitor"
        quality: Quality = "public_only" if competitor else "exact"
        profile = _profile(account.handle)

        day, done = _resume_from(window, state), 0
        while day <= window.until:
            if fail_after is not None and done >= fail_after:
                raise TransientError(f"demo failure after {done} day(s), before {day.isoformat()} (fail_after_days)")
            simulated = _simulate_day(profile, day)
            for native, value in simulated.metrics.items():
                if not competitor or native in PUBLIC_METRICS:
                    yield MetricPoint(native_metric=native, day=day, value=float(value), quality=quality)
            for post in simulated.posts:
                yield _public_post(post) if competitor else post
            for mention in simulated.mentions:
                yield mention
            yield Checkpoint(state={"last_day": day.isoformat()})
            day, done = day + timedelta(days=1), done + 1


def _public_post(post: Post) -> Post:
    """A post as a competitor sees it: only the publicly visible counters."""
    metrics = {native: value for native, value in post.metrics.items() if native in PUBLIC_METRICS}
    return Post(
        external_id=post.external_id,
        published_at=post.published_at,
        text=post.text,
        url=post.url,
        media_type=post.media_type,
        metrics=metrics,
        tags=post.tags,
    )


@hookimpl
def resonance_connectors() -> list[type[Connector]]:
    """The demo plugin provides one connector."""
    return [DemoConnector]
