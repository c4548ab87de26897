"""The technology signatures website analysis looks for: which product a page's markup gives away.

Contract: ``SIGNATURES`` lists one ``Signature`` per product, each in one of
``CATEGORIES``, with the case-insensitive regular expressions that reveal it (read by
``prospects.analysis.analyze_technology``, which says what each kind of fingerprint
is). ``GAPS`` names the judgement made when a category finds nothing. Add a product
here, with a fixture page under tests/fixtures/hotel_sites that shows it.
"""

from dataclasses import dataclass

CMS = "cms"
SITE_TOOLS = "site_tools"
BOOKING_ENGINE = "booking_engine"
CHAT = "chat"
PMS_HINTS = "pms_hints"
ANALYTICS = "analytics"
CATEGORIES = (CMS, BOOKING_ENGINE, CHAT, PMS_HINTS, ANALYTICS, SITE_TOOLS)
GAPS = (("no_booking_engine", BOOKING_ENGINE), ("no_chat", CHAT), ("no_analytics", ANALYTICS))


@dataclass(frozen=True)
class Signature:
    """A product and the regular expressions (case-insensitive) that give it away.

    ``script`` reads ``<script src>``; ``url`` every other address on the page (link,
    a, iframe, img, form action); ``meta`` the generator meta; ``inline`` inline script
    text (JSON-LD and consent-gated ``text/plain`` scripts included: installed is
    installed); ``attr`` class and id values and data-* attribute names. ``pms`` names
    the PMS an all-in-one suite's booking engine implies.
    """

    name: str
    category: str
    script: str = ""
    url: str = ""
    meta: str = ""
    inline: str = ""
    attr: str = ""
    pms: str = ""


SIGNATURES: tuple[Signature, ...] = (
    # content management systems and site builders
    Signature("WordPress", CMS, script=r"/wp-(?:content|includes)/", url=r"/wp-(?:content|includes|json)/",
              meta=r"^WordPress"),
    Signature("Wix", CMS, script=r"static\.parastorage\.com|static\.wixstatic\.com",
              url=r"static\.wixstatic\.com|static\.parastorage\.com", meta=r"^Wix\.com"),
    Signature("Squarespace", CMS, script=r"(?:static1|assets)\.squarespace\.com",
              url=r"(?:static1|images)\.squarespace(?:-cdn)?\.com", meta=r"Squarespace",
              inline=r"Static\.SQUARESPACE_CONTEXT"),
    Signature("Drupal", CMS, script=r"/(?:core/)?misc/drupal\.js", url=r"/sites/(?:default|all)/(?:files|themes)/",
              meta=r"^Drupal", inline=r"drupalSettings|Drupal\.settings", attr=r"^data-drupal-"),
    Signature("Joomla", CMS, script=r"/media/(?:jui|system)/js/|/components/com_", url=r"/media/(?:jui|system)/",
              meta=r"^Joomla", inline=r"Joomla\.(?:optionsStorage|JText)"),
    Signature("Webflow", CMS, script=r"(?:assets|cdn\.prod)\.website-files\.com|webflow\.js",
              url=r"(?:assets|cdn\.prod|uploads-ssl)\.(?:website-files|webflow)\.com", meta=r"^Webflow",
              attr=r"^data-wf-(?:page|site)$"),
    Signature("Shopify", CMS, script=r"cdn\.shopify\.com", url=r"cdn\.shopify\.com|\.myshopify\.com",
              inline=r"Shopify\.shop\s*="),
    Signature("TYPO3", CMS, script=r"/typo3(?:conf|temp)/", url=r"/typo3(?:conf|temp)/", meta=r"^TYPO3"),
    Signature("Jimdo", CMS, script=r"jimcdn\.com|jimstatic\.com", url=r"jimcdn\.com", meta=r"Jimdo"),
    # what sits on top of the CMS: SEO plugins, page builders, consent banners
    Signature("Yoast SEO", SITE_TOOLS, attr=r"yoast-schema-graph"),
    Signature("Elementor", SITE_TOOLS, script=r"/plugins/elementor/", url=r"/plugins/elementor/",
              attr=r"(?:^|\s)elementor-\d"),
    Signature("Cookiebot", SITE_TOOLS, script=r"consent\.cookiebot\.com", inline=r"consent\.cookiebot\.com"),
    Signature("OneTrust", SITE_TOOLS, script=r"cdn\.cookielaw\.org|onetrust\.com", attr=r"^onetrust-"),
    Signature("Usercentrics", SITE_TOOLS, script=r"usercentrics\.eu", attr=r"^data-usercentrics$"),
    # booking engines
    Signature("SynXis (Sabre)", BOOKING_ENGINE, script=r"synxis\.com", url=r"synxis\.com", inline=r"synxis\.com"),
    Signature("SiteMinder", BOOKING_ENGINE, script=r"siteminder\.com|book-directonline\.com|direct-book\.com",
              url=r"book-directonline\.com|direct-book\.com|thebookingbutton\.com",
              inline=r"book-directonline\.com|direct-book\.com|thebookingbutton"),
    Signature("Cloudbeds", BOOKING_ENGINE, script=r"cloudbeds\.com", url=r"cloudbeds\.com", inline=r"cloudbeds\.com",
              pms="Cloudbeds"),
    Signature("Mews Booking Engine", BOOKING_ENGINE, script=r"mews\.(?:com|li)/distributor",
              url=r"mews\.(?:com|li)/distributor", inline=r"Mews\.Distributor|mews\.(?:com|li)/distributor",
              pms="Mews"),
    Signature("D-Edge", BOOKING_ENGINE, script=r"d-edge\.com|availpro\.com|secure-hotel-booking\.com",
              url=r"secure-hotel-booking\.com|d-edge\.com|availpro\.com", inline=r"secure-hotel-booking\.com"),
    Signature("Bookassist", BOOKING_ENGINE, script=r"bookassist\.(?:com|org)", url=r"bookassist\.(?:com|org)",
              inline=r"bookassist"),
    Signature("Profitroom", BOOKING_ENGINE, script=r"profitroom\.(?:com|pl)", url=r"profitroom\.(?:com|pl)",
              inline=r"profitroom"),
    Signature("TravelClick iHotelier", BOOKING_ENGINE, script=r"ihotelier\.com|travelclick\.(?:com|net)",
              url=r"ihotelier\.com|travelclick\.(?:com|net)", inline=r"ihotelier\.com|travelclick"),
    Signature("Triptease", BOOKING_ENGINE, script=r"triptease\.(?:io|com)", inline=r"triptease\.(?:io|com)"),
    Signature("Avvio", BOOKING_ENGINE, script=r"avvio\.com", url=r"avvio\.com", inline=r"avvio\.com"),
    Signature("Simple Booking", BOOKING_ENGINE, script=r"simplebooking\.(?:it|travel)",
              url=r"simplebooking\.(?:it|travel)", inline=r"simplebooking\.(?:it|travel)"),
    Signature("Little Hotelier", BOOKING_ENGINE, script=r"littlehotelier\.com", url=r"littlehotelier\.com",
              pms="Little Hotelier"),
    Signature("eviivo", BOOKING_ENGINE, script=r"eviivo\.com", url=r"eviivo\.com", inline=r"eviivo\.com",
              pms="eviivo"),
    Signature("WebHotelier", BOOKING_ENGINE, script=r"webhotelier\.net", url=r"webhotelier\.net|reserve-online\.net"),
    Signature("Vertical Booking", BOOKING_ENGINE, script=r"verticalbooking\.com", url=r"verticalbooking\.com"),
    Signature("GuestCentric", BOOKING_ENGINE, script=r"guestcentric\.(?:net|com)", url=r"guestcentric\.(?:net|com)"),
    Signature("Omnibees", BOOKING_ENGINE, script=r"omnibees\.com", url=r"omnibees\.com"),
    Signature("RoomRaccoon", BOOKING_ENGINE, script=r"roomraccoon\.(?:com|net)", url=r"roomraccoon\.(?:com|net)",
              pms="RoomRaccoon"),
    Signature("Beds24", BOOKING_ENGINE, script=r"beds24\.com", url=r"beds24\.com", pms="Beds24"),
    Signature("Sirvoy", BOOKING_ENGINE, script=r"sirvoy\.com", url=r"sirvoy\.com", pms="Sirvoy"),
    Signature("Lodgify", BOOKING_ENGINE, script=r"lodgify\.com", url=r"lodgify\.com", pms="Lodgify"),
    Signature("DIRS21", BOOKING_ENGINE, script=r"dirs21\.(?:de|com)", url=r"dirs21\.(?:de|com)"),
    Signature("Seekda", BOOKING_ENGINE, script=r"seekda\.com", url=r"seekda\.com"),
    Signature("HotelRunner", BOOKING_ENGINE, script=r"hotelrunner\.com", url=r"hotelrunner\.com"),
    # chat widgets and messaging
    Signature("Intercom", CHAT, script=r"widget\.intercom\.io|js\.intercomcdn\.com",
              inline=r"intercomSettings|widget\.intercom\.io"),
    Signature("Zendesk Chat", CHAT, script=r"static\.zdassets\.com|zopim\.com",
              inline=r"zESettings|\$zopim|static\.zdassets\.com"),
    Signature("Tidio", CHAT, script=r"code\.tidio\.co", inline=r"code\.tidio\.co|tidioChatApi"),
    Signature("LiveChat", CHAT, script=r"cdn\.livechatinc\.com", inline=r"__lc\.license|livechatinc\.com"),
    Signature("Drift", CHAT, script=r"js\.driftt\.com", inline=r"drift\.load\(|js\.driftt\.com"),
    Signature("HubSpot Chat", CHAT, script=r"js\.usemessages\.com", inline=r"HubSpotConversations",
              attr=r"hubspot-messages-iframe-container"),
    Signature("WhatsApp click-to-chat", CHAT,
              url=r"^(?:https?:)?//(?:wa\.me|api\.whatsapp\.com/send|web\.whatsapp\.com/send)|^whatsapp:",
              inline=r"(?:wa\.me|api\.whatsapp\.com/send)/?\??"),
    Signature("Asksuite", CHAT, script=r"asksuite\.com", inline=r"asksuite"),
    Signature("HiJiffy", CHAT, script=r"hijiffy\.com", url=r"hijiffy\.com", inline=r"hijiffy"),
    Signature("Crisp", CHAT, script=r"client\.crisp\.chat", inline=r"CRISP_WEBSITE_ID"),
    Signature("Tawk.to", CHAT, script=r"embed\.tawk\.to", inline=r"embed\.tawk\.to|Tawk_API"),
    Signature("Quicktext", CHAT, script=r"quicktext\.im", inline=r"quicktext\.im"),
    Signature("Facebook Messenger chat", CHAT, inline=r"customerchat", attr=r"^fb-customerchat$"),
    # property management systems the site gives away (guest portals, online check-in, hosted pages)
    Signature("Oracle Hospitality OPERA", PMS_HINTS, script=r"oraclehospitality|hospitality\.oracle\.com",
              url=r"oraclehospitality|hospitality\.oracle\.com|operacloud", inline=r"oraclehospitality"),
    Signature("Mews", PMS_HINTS, url=r"app\.mews\.(?:com|li)/navigator|mews\.(?:com|li)/guest",
              inline=r"app\.mews\.(?:com|li)/navigator"),
    Signature("Protel", PMS_HINTS, script=r"protel\.(?:net|io)", url=r"protel\.(?:net|io)",
              inline=r"protel\.(?:net|io)"),
    Signature("Apaleo", PMS_HINTS, script=r"apaleo\.(?:com|io)", url=r"apaleo\.(?:com|io)",
              inline=r"apaleo\.(?:com|io)"),
    Signature("Stayntouch", PMS_HINTS, script=r"stayntouch\.com", url=r"stayntouch\.com"),
    # analytics and tag managers
    Signature("Google Analytics", ANALYTICS,
              script=r"google-analytics\.com/(?:analytics|ga)\.js|googletagmanager\.com/gtag/js",
              inline=r"gtag\(\s*['\"]config['\"]\s*,\s*['\"](?:G|UA)-|\bUA-\d{4,10}-\d{1,4}\b|GoogleAnalyticsObject"),
    Signature("Google Tag Manager", ANALYTICS, script=r"googletagmanager\.com/gtm\.js",
              url=r"googletagmanager\.com/ns\.html", inline=r"googletagmanager\.com/gtm\.js|\bGTM-[A-Z0-9]{4,}\b"),
    Signature("Meta Pixel", ANALYTICS, script=r"connect\.facebook\.net/[^/]+/fbevents\.js",
              url=r"facebook\.com/tr\?", inline=r"fbq\(\s*['\"]init|fbevents\.js"),
    Signature("Hotjar", ANALYTICS, script=r"static\.hotjar\.com", inline=r"static\.hotjar\.com|_hjSettings"),
    Signature("Matomo", ANALYTICS, script=r"matomo\.js|piwik\.js", inline=r"_paq\.push|matomo\.js|piwik\.js"),
    Signature("Microsoft Clarity", ANALYTICS, script=r"clarity\.ms", inline=r"clarity\.ms/tag"),
    Signature("LinkedIn Insight Tag", ANALYTICS, script=r"snap\.licdn\.com",
              inline=r"_linkedin_partner_id|snap\.licdn\.com"),
    Signature("HubSpot", ANALYTICS, script=r"js\.hs-scripts\.com|js\.hs-analytics\.net"),
    Signature("Plausible", ANALYTICS, script=r"plausible\.io/js"),
)  # fmt: skip
