// The closed vocabularies of browser, OS and hardware-vendor names: every name ua-parser-js 1.x can
// report, each in one display spelling. ua-parser-js copies many names from the user agent itself
// ("OPERA", "conkeror", "MobileSafari"), so a name is looked up by its letters and digits in lower
// case; a name that is not here (a user agent crafted to put its own words where a name goes) has
// no display form. Built from the library's regexes (constants and the alternatives of the groups
// it captures) and checked against the uap-core corpus by test/unit/enrich-device.test.ts.

const BROWSERS = names(`
  115, 2345, 360, Alipay, Amaya, Android Browser, Arora, Avant,
  Avast Secure Browser, AVG Secure Browser, Baidu, Basilisk, Blazer, Bolt, Bowser, Brave, Camino,
  Chimera, Chrome, Chrome Headless, Chrome WebView, Chromium, Cobalt, Coc Coc, Conkeror, Daum,
  Dillo, Dolphin, Doris, Dragon, DuckDuckGo, Edge, Electron, Epiphany, Facebook, Falkon, Fennec,
  Firebird, Firefox, Firefox Focus, Firefox Reality, Flock, Flow, GoBrowser, GSA, Helio, HeyTap,
  Huawei Browser, iCab, ICE Browser, IceApe, IceCat, IceDragon, Iceweasel, IE, IEMobile, Instagram,
  Iridium, Iron, Jasmine, K-Meleon, KakaoStory, KakaoTalk, KHTML, Kindle, Klar, Klarna, Konqueror,
  Ladybird, LBBrowser, LibreWolf, Line, LinkedIn, Links, Lunascape, Lynx, Maemo Browser, Maxthon,
  Midori, Minimo, MIUI Browser, Mobile Safari, Mosaic, Mozilla, Naver, NetFront, Netscape, NetSurf,
  NokiaBrowser, Obigo, Oculus Browser, OmniWeb, Opera, Opera Coast, Opera GX,
  Opera Mini, Opera Mobi, Opera Mobile, Opera Tablet, Opera Touch, Ovi, OviBrowser, PaleMoon,
  PhantomJS, Phoenix, Pico Browser, Polaris, Puffin, QQBrowser, QQBrowserLite, Quark, QupZilla,
  Rekonq, RockMelt, Safari, Sailfish Browser, Samsung Internet, SeaMonkey, Silk, Skyfire, Sleipnir,
  SlimBoat, SlimBrowser, Slimjet, Smart Lenovo Browser, Snapchat, Sogou Explorer, Sogou Mobile,
  Swiftfox, Tesla, TikTok, Tizen Browser, Twitter, UCBrowser, UP.Browser, Vivaldi, Vivo Browser,
  w3m, Waterfox, WebKit, WeChat, Weibo, Whale, Wolvic, Yandex
`);

// ua-parser-js says "Mac OS" for every Mac; Apple has called it macOS since 2016.
const OS_SPELLINGS: Record<string, string> = { 'Mac OS': 'macOS' };
// LG's phones call their maker "LGE" (LG Electronics).
const VENDOR_SPELLINGS: Record<string, string> = { LGE: 'LG' };
const OSES = names(`
  AIX, AmigaOS, Android, Android-x86, Arch, Bada, BeOS, BlackBerry, BSD, CentOS, Chromecast,
  Chromium OS, Contiki, Debian, Deepin, DragonFly, elementary OS, Fedora, Firefox OS, FreeBSD,
  Fuchsia, Gentoo, GhostBSD, GNU, Haiku, HarmonyOS, HP-UX, Hurd, iOS, Joli, KaiOS, Kubuntu, Linpus,
  Linspire, Linux, Lubuntu, Mac OS, Maemo, Mageia, Mandriva, Manjaro, MeeGo, Minix, Mint, MorphOS,
  NetBSD, NetRange, NetTV, Nintendo, OpenBSD, OpenHarmony, OpenSolaris, openSUSE, OpenVMS, OS/2,
  Palm, PC-BSD, PCLinuxOS, Plan 9, PlayStation, QNX, Raspbian, Red Hat, RIM Tablet OS, RISC OS,
  Sabayon, Sailfish, SerenityOS, Series40, Slackware, Solaris, SUSE, Symbian, Tizen, Ubuntu,
  Ubuntu Touch, Unix, VectorLinux, VIERA, watchOS, webOS, Windows, Windows IoT, Windows Mobile,
  Windows Phone, Windows Phone OS, Xbox, Xubuntu, Zenwalk
`);

// "Generic" (ua-parser-js's word for "some Android maker") names no one, and HbbTV televisions
// report free text as their maker: neither is here.
const VENDORS = names(`
  Acer, Advan, Alcatel, Amazon, Apple, Archos, ASUS, AT&T, Barnes & Noble, BlackBerry, Cat, Dell,
  Dragon Touch, Energizer, Envizen, Essential, Facebook, Fairphone, GeeksPhone, Gigaset, Google,
  HMD, Honor, HP, HTC, Huawei, IMO, Infinix, Insignia, itel, Kindle, Kobo, Le Pan, Lenovo, LGE, LG,
  LvTel, MachSpeed, Meizu, Micromax, Microsoft, Motorola, Nexian, NextBook, Nintendo, Nokia, Nook,
  Nothing, NuVision, Nvidia, OnePlus, OPPO, Ouya, Panasonic, Pebble, Philips, Pico, Realme, RCA,
  RIM, Roku, Rotor, Samsung, Sharp, Siemens, Smartfren, Sony, Sprint, Swiss, TCL, TECNO, TechniSat,
  Tesla, Trinity, Ulefone, Verizon, Vivo, Vodafone, Voice, Xiaomi, Zebra, Zeki, ZTE
`);

// One name per comma; line breaks are layout.
function names(list: string): string[] {
  return list
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
}

/** The lookup key of a name: its letters and digits, lower-cased ("UP.Browser" → "upbrowser"). */
export function nameKey(name: string): string {
  return name.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
}

function table(list: readonly string[], spellings: Record<string, string> = {}): Map<string, string> {
  return new Map(list.map((name) => [nameKey(name), spellings[name] ?? name]));
}

const browsers = table(BROWSERS);
const oses = table(OSES, OS_SPELLINGS);
const vendors = table(VENDORS, VENDOR_SPELLINGS);

// Names are short: anything longer cannot be in a table, and is not worth lower-casing.
const MAX_NAME_LENGTH = 40;
function lookup(map: Map<string, string>, name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH) return undefined;
  return map.get(nameKey(name));
}

/** The display name of a browser ua-parser-js can report ("MobileSafari" → "Mobile Safari"); undefined otherwise. */
export function browserName(name: unknown): string | undefined {
  return lookup(browsers, name);
}

/** The display name of an operating system ua-parser-js can report ("Mac OS" → "macOS"); undefined otherwise. */
export function osName(name: unknown): string | undefined {
  return lookup(oses, name);
}

/** The display name of a hardware maker ua-parser-js can report ("LGE" → "LG"); undefined otherwise. */
export function vendorName(name: unknown): string | undefined {
  return lookup(vendors, name);
}
