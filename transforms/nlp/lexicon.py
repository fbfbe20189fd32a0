"""Word lists the extraction rules share: entity labels, reporting,
killing, working and living verbs, offices and honorifics."""

from __future__ import annotations

SEPARATOR = "\n\n"

# Entity types that name someone or something; dates, amounts and ordinals are
# not who or what is in the news.
NAMED_LABELS = {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT",
                "PRODUCT", "WORK_OF_ART", "LAW", "LANGUAGE"}
PLACE_LABELS = {"GPE", "LOC", "FAC"}
# Labels whose names the place gazetteer may key: the small model often labels
# a country ORG ("Slovakia beat the Faroes") or NORP.
GAZETTEER_LABELS = PLACE_LABELS | {"ORG", "NORP"}
AGENT_LABELS = {"PERSON", "ORG", "NORP", "GPE"}

REPORTING_VERBS = {"say", "tell", "add", "state", "announce", "declare",
                   "explain", "insist", "warn", "write", "ask", "claim",
                   "note", "argue", "reply", "respond", "comment", "conclude",
                   "admit", "confirm", "deny", "report", "remark", "suggest",
                   "acknowledge", "stress", "urge", "promise", "recall",
                   "tweet", "post", "continue", "describe", "call", "predict",
                   "complain", "testify", "shout", "scream", "joke", "concede",
                   "observe", "emphasize", "emphasise", "point", "quip",
                   "assert", "characterize", "characterise", "dub", "reiterate",
                   "caution", "allege", "contend", "maintain", "plead"}
KILL_VERBS = {"kill", "murder", "assassinate", "shoot", "slay", "execute",
              "stab", "behead", "strangle", "gun", "poison", "slaughter",
              "bludgeon", "lynch"}
# Who kills, and the killing itself: "Y's assassin, X" names the killer
# where "the assassination of Y by X" names the deed.
KILLER_NOUNS = {"assassin", "killer", "murderer", "gunman"}
KILL_NOUNS = KILLER_NOUNS | {"assassination", "murder", "killing", "slaying", "shooting"}
WORK_VERBS = {"work", "join", "head", "lead", "run", "chair", "direct",
              "manage", "found", "serve", "represent", "command", "coach",
              "captain", "own", "edit", "preside", "advise", "operate", "teach"}
EMPLOY_VERBS = {"employ", "hire", "appoint", "name", "elect", "nominate",
                "recruit", "promote", "fire", "sack", "dismiss"}
LIVE_VERBS = {"live", "reside", "settle", "grow", "bear", "raise", "stay",
              "dwell", "move", "emigrate", "immigrate", "return"}
BASE_VERBS = {"base", "headquarter", "locate", "situate"}
# Open verbs whose relation analysts want by name.
VERB_TYPES = {"meet": "meets", "accuse": "accuses", "visit": "visits",
              "sue": "sues", "criticize": "criticizes", "criticise": "criticizes",
              "slam": "criticizes", "condemn": "criticizes", "denounce": "criticizes",
              "lambast": "criticizes", "rebuke": "criticizes", "castigate": "criticizes",
              "acquire": "acquires", "buy": "acquires", "attack": "attacks",
              "support": "supports", "endorse": "supports", "arrest": "arrests",
              "defeat": "defeats", "beat": "defeats"}
# Verbs of a person's travel that say they went to a place, with the word
# that introduces it: "X arrived in Manila", "X flew to Kyiv", "X toured
# the flooded region" (a visit, as the guideline counts "traveled to").
TRAVEL_VERBS = {"arrive": ("in", "at"), "travel": ("to",), "fly": ("to",),
                "journey": ("to",), "tour": ("",)}
# Contacts between two people that analysts read as a meeting: "X spoke
# with Y", "X held talks with Y", "X had a phone call with Y", "during a
# news conference with Y, X said".
CONTACT_VERBS = {"speak", "talk", "confer", "meet", "consult"}
CONTACT_NOUNS = {"talks", "talk", "call", "meeting", "conversation", "discussion",
                 "discussions", "negotiations", "summit", "videoconference", "phone",
                 "telephone", "consultations", "conference"}
# Offices that head the country or body named with them: "Kenya's President
# X" leads Kenya ("prime" stands for "prime minister").
LEAD_OFFICES = {"president", "prime", "premier", "chancellor", "king", "queen", "monarch",
                "emir", "sultan", "ruler", "leader", "head", "president-elect", "dictator",
                "governor", "gov", "mayor"}
# Parties a story names without the word "party", by acronym or short name
# ("SPD Chancellor X" is a member of the SPD, not its employee). Acronyms
# that name something else as often in news are left out: DPP (a
# prosecutor), PTI (a news agency), BNP (a bank), CHP (a highway patrol),
# CDA (a US law), CSU (universities), PRI (a radio network).
PARTY_SHORT_NAMES = frozenset({
    "spd", "cdu", "fdp", "afd", "snp", "dup", "ukip", "sinn fein", "fianna fail",
    "fine gael", "plaid cymru", "psoe", "podemos", "syriza", "pasok", "new democracy",
    "forza italia", "vvd", "pvv", "pis", "fidesz", "jobbik", "akp", "mhp", "hdp", "likud",
    "bjp", "pml-n", "awami league", "anc", "zanu-pf", "ldp", "kmt", "kuomintang", "ndp",
    "united russia", "ovp", "övp", "fpo", "fpö", "spo", "spö"})
# NORP words that name a party, a faith or a movement rather than a
# nationality: "Democratic Senator X" is a member of a party, not someone
# who lives in "Democratic".
GROUP_NORP_WORDS = {
    "democratic", "democrat", "democrats", "republican", "republicans", "gop", "labour",
    "labor", "conservative", "conservatives", "tory", "tories", "liberal", "liberals",
    "socialist", "socialists", "communist", "communists", "green", "greens", "nationalist",
    "nationalists", "unionist", "unionists", "progressive", "libertarian", "maoist",
    "marxist", "leninist", "islamist", "islamists", "jihadist", "jihadists", "bolshevik",
    "baathist", "peronist", "gaullist", "zionist", "populist", "centrist", "separatist",
    "separatists", "royalist", "loyalist", "republican", "federalist", "social",
    "christian", "christians", "muslim", "muslims", "islamic", "catholic", "catholics",
    "protestant", "protestants", "evangelical", "orthodox", "jewish", "jews", "hindu",
    "hindus", "buddhist", "buddhists", "sikh", "sikhs", "sunni", "sunnis", "shiite",
    "shiites", "shia", "anglican", "lutheran", "methodist", "baptist", "mormon", "coptic",
    "alawite", "druze", "salafist", "wahhabi", "taliban", "houthi", "houthis"}
# Common nouns that head an organisation's name written "the X of the Y"
# ("the Clan of the Gulf", "the Bank of the South").
ORG_HEAD_NOUNS = {
    "clan", "army", "bank", "brotherhood", "sisterhood", "front", "league", "union",
    "council", "party", "movement", "organisation", "organization", "order", "society",
    "federation", "association", "alliance", "church", "university", "institute",
    "academy", "college", "ministry", "department", "court", "commission", "committee",
    "agency", "bureau", "cartel", "gang", "brigade", "brigades", "battalion", "corps",
    "fund", "foundation", "group", "network", "coalition", "sons", "soldiers", "friends",
    "guardians", "defenders", "partisans", "militia", "legion", "knights", "fellowship"}
# Nouns of office: "X, chairman of Y", "Y chief executive X".
TITLE_NOUNS = {
    "president", "chairman", "chairwoman", "chair", "director", "executive",
    "chief", "minister", "secretary", "spokesman", "spokeswoman",
    "spokesperson", "head", "leader", "member", "official", "officer",
    "founder", "co-founder", "ceo", "cfo", "coo", "governor", "gov",
    "senator", "sen", "rep", "representative", "ambassador", "manager",
    "editor", "professor", "prof", "analyst", "economist", "general", "gen",
    "commander", "chancellor", "premier", "mayor", "king", "queen", "prime",
    "treasurer", "vice", "deputy", "envoy", "lawmaker", "legislator",
    "employee", "worker", "partner", "owner", "coach", "captain", "player",
    "researcher", "scientist", "lawyer", "attorney", "advisor", "adviser",
    "aide", "correspondent", "reporter", "board", "trustee", "boss",
    "inspector", "judge", "justice", "prosecutor", "commissioner", "dean", "magistrate",
    "superintendent", "administrator", "strategist", "consultant",
    "counsel", "negotiator", "diplomat", "emir", "sultan", "sheikh",
    "prince", "princess", "president-elect", "speaker", "whip", "delegate",
    "cofounder", "publisher", "producer", "designer",
    "engineer", "agent", "sheriff", "detective", "colonel", "col",
    "lieutenant", "lt", "sergeant", "sgt", "major", "admiral", "adm",
    "marshal", "pilot", "staffer",
    "director-general", "secretary-general", "pope", "cardinal", "bishop",
    "archbishop", "rabbi", "imam", "cleric", "ayatollah", "monsignor",
    "council", "councillor", "councilor", "councilman", "councilwoman",
    "assemblyman", "assemblywoman", "congressman", "congresswoman",
    "commentator", "columnist", "anchor", "host", "historian", "curator",
}
# Forms of address that make the name after them a person's, whatever the
# model called it ("Mrs. Higgins").
PERSON_HONORIFICS = {"mr", "mrs", "ms", "miss", "dr", "sir", "dame", "mx"}
# Words in front of a name that are not part of it: forms of address, and
# what qualifies an office ("former", "acting", "U.S.").
HONORIFICS = PERSON_HONORIFICS | {
    "lord", "lady", "messrs", "mme", "mister", "madam", "rev", "reverend",
    "fr", "father", "sister", "brother", "st", "former", "late", "then",
    "acting", "interim", "incoming", "outgoing", "retired", "ex", "chief",
    "senior", "top", "u.s.", "us"}
# What a person is of a place ("a native of Z", "a Boston native"); the first
# four say nothing but that.
NATIVE_NOUNS = {"native", "resident", "citizen", "inhabitant"}
RESIDENT_NOUNS = NATIVE_NOUNS | {
    "mayor", "governor", "son", "daughter", "man", "woman", "boy", "girl",
    "farmer", "homeowner", "townsman", "villager", "people"}
# Public bodies ("the council", "the ministry"), the part the two lists after
# it share.
PUBLIC_BODY_NOUNS = {"council", "commission", "committee", "court", "board",
                     "ministry", "department", "bureau", "agency"}
# Bodies whose members hold an office in them: a member of the City Council or
# of the Supreme Court works for it; a member of a party or club does not.
# Adds legislatures, cabinets and staffs.
OFFICE_BODY_NOUNS = PUBLIC_BODY_NOUNS | {
    "parliament", "assembly", "senate", "congress", "cabinet", "legislature",
    "tribunal", "staff", "faculty", "secretariat", "presidium", "politburo"}
# A definite subject that stands for an organisation named before it ("the
# company said", "the ministry statement added", "the spokesman said").
# Adds companies and other organisations, and what speaks for one.
ORG_STANDIN_NOUNS = PUBLIC_BODY_NOUNS | {
    "company", "firm", "group", "bank", "government", "union", "association",
    "distributor", "exchange", "office", "organisation", "organization",
    "corporation", "airline", "utility", "maker", "producer", "retailer",
    "concern", "party", "embassy", "administration", "institute", "federation",
    "report", "statement", "newspaper", "paper", "editorial", "letter",
    "spokesman", "spokeswoman", "spokesperson"}
PLACE_NOUNS = {"city", "town", "village", "suburb", "province", "state",
               "county", "region", "district", "capital", "island", "port",
               "community", "area", "neighborhood", "neighbourhood", "hamlet",
               "municipality", "borough", "territory", "prefecture"}
QUOTE_PAIRS = {"\u201c": "\u201d", '"': '"', "\u00ab": "\u00bb", "\u201e": "\u201c"}
PRONOUNS = {"he", "she", "they", "i", "we"}
# Characters between two quotations for the second, unattributed one to be
# taken as the same speaker going on.
CONTINUATION_GAP = 120
# Diseases the model tags as organisations or places ("Coronavirus in
# Poland"): no side of a typed relation.
DISEASE_NAMES = {"coronavirus", "covid", "covid-19", "covid19", "sars", "sars-cov-2", "mers",
                 "ebola", "zika", "hiv", "aids", "h1n1", "h5n1", "influenza", "cholera",
                 "measles", "malaria", "polio", "monkeypox", "mpox"}
