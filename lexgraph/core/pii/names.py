"""Person names in legal text without a statistical NER model.

No spaCy model may be downloaded, so names are found by the cues legal documents give:
an honorific or title (``Ms. Raman``, ``Judge Whitfield``), a signature block (``By:``,
``Name:``, ``/s/``), a party role (``plaintiff Robert Mills``), a party description
(``Jane Roe, an individual``), and an optional gazetteer of known names. Capitalized words
alone are not enough: legal text capitalizes courts, statutes, defined terms and companies,
and a false positive costs the summary its meaning while a name found once is propagated to
its other mentions by the pseudonymizer.

The NER adapter (``spacy_ner.py``) also screens its model's spans here
(:func:`screen_model_name`: streets, numbered headings, places, firms and abstract terms are
not names) and finds names of words no dictionary holds (:func:`find_unfamiliar_names`,
given the model's dictionary).

Pure Python on purpose: the rules are tested without loading Presidio.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

# Latin Extended-A and Extended Additional hold both cases (Krzywoń, İnönü, Nguyễn).
_UPPER = "A-ZÀ-ÖØ-Þ\u0100-\u017f\u1e00-\u1eff"
_LOWER = "a-zß-öø-ÿ\u0100-\u017f\u1e00-\u1eff"
# O'Brien, McDonald, DeShawn, Smith-Jones, Nwosu; a token is capitalized and mostly lowercase.
# Ndung'u and S'fiso too; a possessive 's is not part of the name.
_APOS = rf"(?:[\u2019'](?!s\b)[{_LOWER}]+)?"
_PARTICLE = (r"(?:de|da|das|do|dos|del|della|di|du|van|von|der|den|ter|ten|zu|la|le|bin|"
             r"ibn|al)")
# A double-barrelled surname may join a particle to the next word: "Limón-van Voorst".
_WORD = (rf"(?:[{_UPPER}][\u2019']?)?[{_UPPER}][{_LOWER}]*{_APOS}(?<=[{_LOWER}])"
         rf"(?:[{_UPPER}][{_LOWER}]+)?(?:-(?:[{_UPPER}][{_LOWER}]+(?:[{_UPPER}][{_LOWER}]+)?{_APOS}|"
         rf"{_PARTICLE}(?=[ \t]+(?:{_PARTICLE}[ \t]+)?[{_UPPER}])))?")
_CAPS_WORD = rf"[{_UPPER}]{{2,}}(?:[-\u2019'][{_UPPER}]+)*"
_INITIAL = rf"[{_UPPER}]\."
_SUFFIX = r"(?:,?[ \t]+(?:Jr\.|Sr\.|JR\.|SR\.|II|III|IV)(?![\w]))"
_SEP = r"[ \t]+"

# Spanish, Portuguese and Catalan names join the father's and the mother's surnames with "y",
# "e" or "i" ("Ruiz y Delgado", "Costa e Silva", "Puig i Ferrer"); only between two
# capitalized words, where English never puts them.
_JOIN = r"(?:y|e|i)"
# One to four tokens after up to two leading initials ("F. Jacob Cherian", "I. C. van der
# Linden"); initials and lowercase particles ("Ana de la Cruz") only between capitalized words.
_NAME = (rf"(?:{_INITIAL}{_SEP}){{0,2}}(?:(?:{_PARTICLE}{_SEP}){{1,2}})?{_WORD}"
         rf"(?:{_SEP}(?:{_INITIAL}|(?:{_PARTICLE}{_SEP}){{1,2}}{_WORD}|{_JOIN}{_SEP}{_WORD}|"
         rf"{_WORD})){{0,3}}{_SUFFIX}?")
# Up to two leading initials ("A. D. MCGAHEY"), then one or two more words ("ANA JULIA DA
# CRUZ"), and a generational suffix ("DAVI LIMA JR.").
_CAPS_NAME = (rf"(?:(?:{_INITIAL}{_SEP}){{1,2}}{_CAPS_WORD}|{_CAPS_WORD}(?:{_SEP}(?:{_INITIAL}|"
              rf"(?:Y|E){_SEP}{_CAPS_WORD}|{_CAPS_WORD})){{1,4}}){_SUFFIX}?")

# The same with single spaces between words: in a table laid out in padded columns, two
# spaces or more part one cell from the next.
_TIGHT_NAME = _NAME.replace(_SEP, " ")
_TIGHT_CAPS = _CAPS_NAME.replace(_SEP, " ")

_HONORIFICS = (
    r"Mr|Mrs|Ms|Mx|Miss|Dr|Prof|Professor|Hon|Honorable|Judge|Justice|Magistrate|"
    r"Senator|Rep|Officer|Detective|Det|Sgt|Sergeant|Capt|Captain|Lt|Lieutenant|Rev|"
    r"Reverend|Trooper"
)
# Litigation roles precede a person's name in running text, capitalized or not. Contract
# roles ("Tenant", "Employee") also start title-cased defined terms ("Tenant Improvements"),
# so they only count in lower case.
_LITIGATION_ROLES = (
    r"[Pp]laintiffs?|[Dd]efendants?|[Pp]etitioners?|[Rr]espondents?|[Aa]ppellants?|"
    r"[Aa]ppellees?|[Cc]laimants?|[Ww]itness(?:es)?|[Dd]ebtors?|[Dd]ecedent|[Aa]ffiant|"
    r"[Dd]eponent|[Ii]nmate|[Vv]ictim|[Cc]o-defendant|[Ii]ntervenor|[Rr]elator"
)
_CONTRACT_ROLES = (
    r"employees?|tenants?|landlords?|borrowers?|guarantors?|lessees?|lessors?|"
    r"beneficiar(?:y|ies)|execut(?:or|rix)|trustees?|consultants?|contractors?|spouse|"
    r"patients?|minors?|inventors?|principal|agent|attorney|counsel|buyers?|sellers?|"
    r"individual|notary(?: public)?"
)
# Labels that introduce a signatory wherever they stand (CUAD-style text flattens signature
# blocks into one line: "By: /s/ F. Jacob Cherian Name: F. Jacob Cherian Title: ...").
_SIGNATURE_LABELS = (
    r"By|Name|Print(?:ed)?[ \t]+[Nn]ame|(?:Full|Witness|Signatory|Legal)[ \t]+[Nn]ame|"
    r"Account[ \t]+[Hh]older|Payee|Signature|Signed|Signatory|Witness|Attn|Attention|"
    r"Notary(?:[ \t]+Public)?|Prepared[ \t]+[Bb]y|Reviewed[ \t]+[Bb]y|Approved[ \t]+[Bb]y|"
    # Canadian and English execution blocks sign "Per:" for a company; a record of processing
    # names its "Data subject:".
    r"Per|Data[ \t]+[Ss]ubject|"
    # Board minutes list who came, who sat in and who sent apologies.
    r"Present|PRESENT|In[ \t]+attendance|IN[ \t]+ATTENDANCE|Apologies|APOLOGIES|Absent"
)
# Labels that name a person only as a whole line: a header ("To: Thomas O'Brien") or a
# party line of a form ("Tenant: Jane Roe").
_LINE_LABELS = (
    r"From|To|Cc|CC|cc|Bcc|BCC|bcc|Employee|Tenant|Landlord|Borrower|Guarantor|Lessee|Lessor|Contractor|"
    r"Consultant|Attorney|Counsel|Contact|Client|Patient|Claimant|Buyer|Seller"
)
_DEFINED_ROLES = (
    r"Employee|Executive|Consultant|Contractor|Tenant|Landlord|Borrower|Guarantor|Lessee|"
    r"Lessor|Buyer|Seller|Purchaser|Licensee|Licensor|Client|Patient|Claimant|Plaintiff|"
    r"Defendant|Beneficiary|Trustee|Executor|Grantor|Grantee|Disclosing Party|"
    r"Receiving Party|Recipient|Individual|Founder|Advisor|Inventor|Author|Owner"
)


# Words in a party's description that make it an organisation ("a Delaware corporation").
_ENTITY_WORDS = (
    r"[^()\n\"“”;]{0,80}?\b(?:corporation|company|partnership|association|trust|bank|"
    r"society|foundation|LLC|L\.L\.C\.|LLP|limited|organization|organisation|entity|"
    r"authority|agency|municipality|institution|university|fund|cooperative|business)\b"
)
_CAPTION_ROLES = (
    r"Plaintiffs?|Defendants?|Petitioners?|Respondents?|Appellants?|Appellees?|"
    r"Claimants?|Debtors?|Intervenors?|Relators?|Plaintiff-Appellants?|Defendant-Appellees?|"
    r"Plaintiff-Appellees?|Defendant-Appellants?|PLAINTIFFS?|DEFENDANTS?|PETITIONERS?|"
    r"RESPONDENTS?|APPELLANTS?|APPELLEES?"
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass(frozen=True, slots=True)
class NameHit:
    start: int
    end: int
    score: float
    rule: str


# Capitalized words that end a name: they belong to the sentence, not to the person
# ("Ms. Raman Shall" in a heading, "Judge Whitfield Ordered"); the name keeps what precedes.
_STOP_WORDS = _words("""
a an and as at by for from in into of on or the to with shall will may must agrees agreed
hereby herein whereas notwithstanding pursuant that this these those which who whom whose
he she they it his her their its him them we our us you your i me my
is are was were be been has have had do does did not no nor but if then than so such
said same each any all either neither both other another
january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday
esq date title dated signed signature name by its attention attn fax tel phone email e-mail
address print printed
""")

# Words that make a candidate an organisation, a place or a legal term, not a person.
_NOT_A_PERSON = _words("""
inc incorporated llc l.l.c llp lp ltd limited corp corporation co company companies plc gmbh
ag sa nv bv pllc pc p.c pa p.a nominees holdings group partners partnership associates bank
trust fund capital
industries systems technologies technology logistics services solutions enterprises ventures
international global foundation institute university college school hospital clinic
church society association union council committee commission board agency department
office bureau authority administration ministry government court courts tribunal
circuit district county city town village state states commonwealth republic kingdom
united america american federal national nation supreme superior municipal
agreement contract lease license policy plan section article exhibit schedule appendix
annex clause paragraph chapter title part rule rules act code statute regulation
amendment order judgment motion complaint petition brief opinion notice memorandum
plaintiff plaintiffs defendant defendants party parties petitioner respondent appellant
appellee employer employee tenant landlord buyer seller licensee licensor company
street st avenue ave road rd boulevard blvd lane drive suite floor building plaza
apt apartment unit box po apo fpo dpo psc usns uss usnv usns usc uscgc
north south east west northern southern eastern western new
esq general chief executive officer president director manager secretary treasurer
counsel attorney partner member chair chairman chairperson vice senior junior assistant
clerk judge justice magistrate honorable
certificate improvements improvement allowance benefits information confidential work
premises property obligations rights indemnified indemnitees materials products data
chapel church ministries ministry temple mosque synagogue parish diocese pty
team form forms profile sheet sheets fact facts statement statements request requests
response responses reply exhibits discovery deposition interrogatories production document
documents class steering liaison lead leadership settlement expert experts report reports
list disclosure disclosures claim claims case cases action appeal record records file filing
filings fees costs
agencies authorities committees councils departments offices centre center
agreements contracts leases licenses policies plans sections articles schedules appendices
annexes clauses paragraphs chapters titles acts codes statutes regulations amendments
orders judgments motions complaints petitions briefs opinions notices
""")

# A name followed by one of these is an organisation's or a street's ("Acme Widget Supply
# Inc.", "Martin Luther King Jr. Blvd").
_SUFFIX_NOT_A_PERSON = _words("""
inc incorporated llc l.l.c llp lp ltd limited corp corporation co company plc gmbh ag sa nv bv
pllc pc p.c p.a nominees holdings group partners associates bank trust &
street st avenue ave road rd boulevard blvd lane ln drive dr way court ct place pl plaza
highway hwy parkway pkwy square sq building center centre hall park
""")
_NAME_SUFFIX_WORDS = _words("jr sr ii iii iv")
_COMPANY_SUFFIXES = _words("""
inc incorporated llc l.l.c llp lp ltd limited corp corporation co company plc gmbh ag sa nv bv
pllc pc p.c p.a nominees
""")
# Not across a bracket: "Jane Roe (Company secretary)" is a person and her role.
_NEXT_WORD = re.compile(r"[ \t,.]*([^\s,.(]+)")
_GIVEN_NAMES_TOO = _words("april may june july august")


def _key(word: str) -> str:
    return word.strip(".,\u2019'()").casefold()


def _trim(text: str, start: int, end: int,
          not_a_person: frozenset[str] = frozenset()) -> tuple[tuple[int, int], int] | None:
    """The person-name part of a candidate, or None when it names something else.

    Leading capitalized sentence words and role words are dropped ("And Jane Roe", "Employee
    Jane Roe"); a later stop word ends the name ("Ms. Raman Shall"); a later organisation or
    legal word, or a company or street suffix right after it, rejects the whole candidate.
    """
    words = [(start + m.start(), start + m.end(), _key(m.group()))
             for m in re.finditer(r"\S+", text[start:end])]
    # Initials are name parts even when they spell a stop word ("Kathleen A. Dennis").
    words = [(a, b, "" if re.fullmatch(r"\w\.", text[a:b]) else k) for a, b, k in words]
    # A surname join ("Ruiz y Delgado", "Puig i Ferrer") between two name words is part of the
    # name, though "i" is also the pronoun.
    words = [(a, b, "" if 0 < n < len(words) - 1 and re.fullmatch(r"[yeiYE]", text[a:b])
              else k) for n, (a, b, k) in enumerate(words)]
    rejected = _NOT_A_PERSON | not_a_person
    while words and (words[0][2] in _STOP_WORDS or words[0][2] in rejected):
        if (words[0][2] in _GIVEN_NAMES_TOO and len(words) > 1
                and text[words[1][0]:words[1][0] + 1].isupper()):
            break  # "August Lund-Bueno", "May Chen": a month that is a given name
        words.pop(0)
    kept: list[tuple[int, int, str]] = []
    for word in words:
        # A month after two names is a surname ("Dylan Edward May"), unless a day follows
        # ("Jane Roe May 4"); after one it may be the modal of a title ("Ms. Raman May").
        surname_month = (len(kept) >= 2 and word[2] in _GIVEN_NAMES_TOO
                         and text[word[0]].isupper()
                         and not re.match(r"[ \t]*\d", text[word[1]:word[1] + 4]))
        if word[2] in _STOP_WORDS and (kept or word[2] not in _GIVEN_NAMES_TOO) and not (
                surname_month):
            break
        if word[2] in rejected:
            return None
        kept.append(word)
    if not kept:
        return None
    half = len(kept) // 2
    # Only for two words or more a half: "Philippe Philippe" is one person's two names.
    if (half >= 2 and len(kept) % 2 == 0
            and [w[2] for w in kept[:half]] == [w[2] for w in kept[half:]]):
        kept = kept[:half]  # "/s/ James Davey James Davey": the typed name under the signature
    following = _NEXT_WORD.match(text, kept[-1][1])
    if following and _key(following.group(1)) in _SUFFIX_NOT_A_PERSON and (
            "," not in following.group() or _key(following.group(1)) in _COMPANY_SUFFIXES) and not (
            # "Jane Roe, Company secretary": an office, not a firm's suffix.
            _key(following.group(1)) == "company"
            and re.match(r"[ \t]+[a-z]", text[following.end():following.end() + 2])):
        # After a comma only a company's suffix counts ("Acme Widget, Inc."): "Jane Roe,
        # Building surveyor" is a person and her job.
        return None
    first, last = kept[0][0], kept[-1][1]
    trimmed = text[first:last].rstrip(" \t,")
    last = first + len(trimmed)
    if kept[-1][2] in ("jr", "sr") and text[last:last + 1] == ".":
        last += 1  # the suffix's full stop, which a pattern may have left outside
    if _FIRM_AFTER.match(text, last):
        return None
    return (first, last), len(kept)


@dataclass(frozen=True, slots=True)
class _Rule:
    name: str
    pattern: re.Pattern[str]
    score: float
    min_tokens: int


_RULES: tuple[_Rule, ...] = (
    _Rule("honorific", re.compile(
        rf"(?<![\w.])(?:{_HONORIFICS})\.?(?:{_SEP}(?:Chief|Circuit|District|Magistrate|Judge))?"
        rf"{_SEP}(?!(?:{_HONORIFICS})\b)(?P<name>{_NAME})"), 0.85, 1),
    _Rule("signature", re.compile(
        rf"(?<![\w])(?:{_SIGNATURE_LABELS})[ \t]*:[ \t]*(?:/s/[ \t]*)?"
        rf"(?P<name>{_NAME}|{_CAPS_NAME})"), 0.85, 2),
    _Rule("header", re.compile(
        rf"(?m)^[ \t]*(?:{_LINE_LABELS})[ \t]*:[ \t]*"
        rf"(?P<name>{_NAME}|{_CAPS_NAME})[ \t]*(?:[,|(<].*)?$"), 0.8, 2),
    _Rule("e-signature", re.compile(rf"/s/[ \t]*(?P<name>{_NAME}|{_CAPS_NAME})"), 0.9, 1),
    _Rule("signed-by", re.compile(
        rf"\b(?:[Ss]igned|[Ee]xecuted|[Ww]itnessed|[Nn]otarized|[Ss]worn|[Pp]repared|"
        rf"[Aa]ttested|[Aa]cknowledged|SIGNED|EXECUTED|WITNESSED)[ \t]+"
        rf"(?:(?:before[ \t]+me|as[ \t]+an?[ \t]+(?:deed|agreement)|for[ \t]+and[ \t]+on[ \t]+"
        rf"behalf[ \t]+of[ \t]+[^\n]{{1,80}}?)[ \t]+)?(?:by[ \t]+|BY[ \t]*:?[ \t]*\n?[ \t]*)"
        rf"(?P<name>{_NAME}|{_CAPS_NAME})"), 0.75, 2),
    # Two initials before a surname ("J. F. Paul", "S. H. BELL"): only people are written so.
    _Rule("initials", re.compile(
        rf"(?<![\w.&])(?P<name>{_INITIAL}{_SEP}{_INITIAL}{_SEP}(?:{_WORD}|{_CAPS_WORD}))"
        rf"(?![\w\u2019'-])"), 0.7, 3),
    # Payment details: "account holder Jane Roe, IBAN ...", "a card issued in the name of
    # JANE ROE".
    _Rule("account-holder", re.compile(
        rf"\b(?:[Aa]ccount[ \t]+(?:holder|name)|[Pp]ayee|[Bb]eneficiary|[Ii]n[ \t]+the[ \t]+"
        rf"names?[ \t]+of)[ \t]*:?[ \t]+(?P<name>{_NAME}|{_CAPS_NAME})"), 0.75, 2),
    # A transcript writes counsel in capitals after the title: "BY MS. YILMAZ:", "MR. ROE:".
    _Rule("caps-honorific", re.compile(
        rf"(?<![\w.])(?:MR|MRS|MS|DR|MX)\.?{_SEP}(?P<name>{_CAPS_NAME}|{_CAPS_WORD})"
        rf"(?![\w\u2019'-])"), 0.8, 1),
    _Rule("party-role", re.compile(
        rf"\b(?:{_LITIGATION_ROLES}|{_CONTRACT_ROLES}),?{_SEP}(?P<name>{_NAME})"),
        0.7, 2),
    _Rule("individual", re.compile(
        rf"(?P<name>{_NAME}),[ \t]+(?:an?|the)[ \t]+(?:individual|natural person|adult|minor|"
        rf"resident|citizen|person|employee|sole proprietor)\b"), 0.85, 2),
    _Rule("post-nominal", re.compile(
        rf"(?P<name>{_NAME}),?[ \t]+(?:Esq\.|Notary[ \t]+Public|M\.D\.|Ph\.D\.|J\.D\.|"
        rf"LL\.M\.|CPA\b|R\.N\.)"), 0.85, 2),
    _Rule("defined-role", re.compile(
        rf"(?P<name>{_NAME})[ \t]*\((?:the[ \t]+|hereinafter[ \t]+)?[\"“](?:{_DEFINED_ROLES})"
        rf"[\"”]\)"), 0.85, 2),
    # A party described before its defined term: 'Marguerite Okonkwo-Halvorsen, an
    # independent consultant (the "Consultant")'. A description naming a kind of entity
    # ("a Delaware corporation") says it is not a person.
    _Rule("described-party", re.compile(
        rf"(?P<name>{_NAME}),[ \t]+(?:an?|the)[ \t]+(?!{_ENTITY_WORDS})"
        rf"[^()\n\"“”;]{{0,80}}?\([ \t]*(?:the[ \t]+|hereinafter[ \t]+)?[\"“]"
        rf"(?:{_DEFINED_ROLES})[\"”][ \t]*\)"), 0.85, 2),
    # A party or its description in a preamble: "between Jane Roe, an individual ...",
    # "and Ngozi Adeyemi, residing at ...".
    _Rule("preamble-party", re.compile(
        rf"\b(?:[Bb]etween|[Aa]nd|[Bb]y)[ \t]+(?P<name>{_NAME}|{_CAPS_NAME})"
        rf"(?=,?[ \t]+(?:an?[ \t]+(?:individual|natural person|resident|citizen|adult)\b|"
        rf"(?:residing|domiciled|whose[ \t]+(?:address|residence))\b|"
        rf"an?[ \t]+(?:independent|self-employed)\b))"), 0.8, 2),
    # A defined party named in apposition: "the Consultant, Jane Roe, shall".
    _Rule("role-appositive", re.compile(
        rf"\b(?:[Tt]he|[Ss]uch|[Ee]ach|[Ss]aid)[ \t]+(?:{_DEFINED_ROLES}),[ \t]+"
        rf"(?P<name>{_NAME})[ \t]*[,(]"), 0.8, 2),
    # A notice line: "To the Tenant: Jane Roe, 12 High Street".
    _Rule("notice-line", re.compile(
        rf"(?m)^[ \t]*(?:[Ii]f[ \t]+to|[Tt]o)[ \t]+(?:the[ \t]+)?[{_UPPER}][\w \t]{{0,30}}:"
        rf"[ \t]*(?P<name>{_NAME}|{_CAPS_NAME})[ \t]*(?:,|$)"), 0.8, 2),
    # A name alone on the line under a signature rule ("________" or "Signed ........"):
    # the typed name of whoever signs above it.
    _Rule("signature-line", re.compile(
        rf"(?m)^[^\n]{{0,40}}?(?:_{{5,}}|\.{{5,}}|…{{2,}})[ \t]*\n[ \t]*(?:/s/[ \t]*)?"
        rf"(?P<name>{_NAME}|{_CAPS_NAME})[ \t]*,?[ \t]*$"), 0.8, 2),
    # A notice block: the name on the line under "If to the Consultant:".
    _Rule("notice-block", re.compile(
        rf"(?m)^[ \t]*(?:[Ii]f[ \t]+to|[Tt]o)[ \t]+[^:\n]{{1,60}}:[ \t]*\n[ \t]*"
        rf"(?P<name>{_NAME}|{_CAPS_NAME})[ \t]*$"), 0.8, 2),
    # An addressee or a party on its own line, above a street address.
    _Rule("address-block", re.compile(
        rf"(?m)^[ \t]*(?P<name>{_NAME}|{_CAPS_NAME})[ \t]*\n[ \t]*\d+[A-Za-z]?[ \t]+"
        rf"[{_UPPER}]"), 0.75, 2),
    # A list of people with their contact details: "2. Jane Roe, Engineer, jroe@...".
    # The name may be followed by a comma, by the person's role in brackets, or by a dash:
    # "- Jane Roe (Architect), then an en dash and jroe@...".
    _Rule("contact-list", re.compile(
        rf"(?m)^[ \t]*(?:\d{{1,2}}[.)]|[-•*\u2013])[ \t]+(?P<name>{_NAME})[ \t]*"
        rf"(?:,|\([^()\n]{{1,60}}\)|[\u2013\u2014-][ \t])"
        rf"(?=[^\n]*(?:@|\+?\(?\d{{2,4}}\)?[ .-]\d{{3}}))"), 0.75, 2),
    # Recitals and engagement clauses.
    _Rule("recital", re.compile(
        rf"\bWHEREAS,?[ \t]+(?P<name>{_NAME})[ \t]+(?:is|has|was|wishes|desires|owns|holds|"
        rf"agrees|intends)\b"), 0.8, 2),
    _Rule("engaged", re.compile(
        rf"\b(?:(?:engag|employ|appoint|retain|hir)(?:e|es|ed|ing)?|APPOINT)[ \t]+"
        rf"(?P<name>{_NAME})"
        rf"[ \t]+(?:to|as|on|for|under)\b"), 0.75, 2),
    # A role in lower case, then the name in apposition: "the system administrator, Jane Roe,".
    _Rule("described-role", re.compile(
        rf"\b(?:[Tt]he|[Oo]ur|[Ii]ts|[Tt]heir|[Hh]is|[Hh]er)[ \t]+(?:[a-z-]+[ \t]+){{0,2}}"
        rf"(?:administrator|manager|officer|director|engineer|representative|lead|coordinator|"
        rf"contact|employee|consultant|contractor|agent|attorney|counsel|partner|assistant|"
        rf"secretary|treasurer|president|owner|supervisor|auditor|accountant|architect|"
        rf"physician|doctor|nurse|advisor|adviser|trustee|executor|guardian|spouse|wife|"
        rf"husband|son|daughter|mother|father),[ \t]+(?P<name>{_NAME})[ \t]*[,(]"), 0.8, 2),
    # "who" follows a person ("report to Jane Roe, who approves"); a company takes "which".
    _Rule("who", re.compile(
        rf"(?P<name>{_NAME}),?[ \t]+(?:who|whom|whose)\b"), 0.75, 2),
    # A caption: "JANE ROE, Plaintiff, v. ...", "Jane Roe,\n    Defendant."
    _Rule("caption", re.compile(
        rf"(?P<name>{_NAME}|{_CAPS_NAME}),?(?:[ \t]*\n){{0,2}}[ \t]*(?:(?:individually|pro se)"
        rf"[ \t,]+)?(?:{_CAPTION_ROLES})\b"), 0.8, 2),
    # Joint parties in a caption: "JANE ROE and JOHN DOE,\n    Plaintiffs,".
    _Rule("caption-joint", re.compile(
        rf"(?P<name>{_NAME}|{_CAPS_NAME}),?[ \t]+(?:and|AND|&)[ \t]+(?:{_NAME}|{_CAPS_NAME}),?"
        rf"[ \t]*\n?[ \t]*(?:(?:individually|pro se)[ \t,]+)?(?:{_CAPTION_ROLES})\b"),
        0.8, 2),
    # Sworn statements: "DECLARATION OF JANE ROE", "I, Jane Roe, declare".
    _Rule("declarant", re.compile(
        rf"\b(?:DECLARATION|AFFIDAVIT|DEPOSITION|TESTIMONY|Declaration|Affidavit|Deposition|"
        rf"Testimony)[ \t]+(?:OF|of)[ \t]+(?P<name>{_CAPS_NAME}|{_NAME})"), 0.8, 2),
    _Rule("first-person", re.compile(
        rf"(?:^|[.\n][ \t]*)I,[ \t]+(?P<name>{_NAME}|{_CAPS_NAME}),[ \t]+(?:hereby[ \t]+)?"
        # Whatever the declarant then does ("appoint", "give", "will say"), or where they
        # live ("of 12 High Street"): only a person writes "I," before a name.
        rf"[a-z]+\b", re.M), 0.85, 2),
    # A deed names its maker again where it is executed: "SIGNED as a DEED by the said\n
    # JANE ROE".
    _Rule("the-said", re.compile(
        rf"\b(?:[Bb]y|BY)[ \t]+(?:the|THE)[ \t]+(?:said|SAID)[ \t]*\n?[ \t]*"
        rf"(?P<name>{_NAME}|{_CAPS_NAME})"), 0.8, 2),
    # Counsel heard by a court: "UPON hearing Jane Roe of counsel for the Claimant".
    _Rule("of-counsel", re.compile(
        rf"(?P<name>{_NAME})[ \t]+(?:of[ \t]+counsel|\(counsel\))\b"), 0.8, 2),
    # A defined party with its name in brackets: "The Guarantor (Ibrahim Tukur Jr.)".
    _Rule("role-bracket", re.compile(
        rf"\b(?:[Tt]he|[Ee]ach|[Ss]uch|[Oo]ur|[Yy]our)[ \t]+(?:{_DEFINED_ROLES}|Agent|"
        rf"Attorney|Director|Donor|Witness|Secretary)[ \t]*\((?P<name>{_NAME})\)"), 0.8, 2),
    # A person's name with a job title after it: "by Jane Roe, Director", or on the next line
    # of a signature or a letter ("Jane Roe\nAttorney for Plaintiff", "Jane Roe\nPartner").
    _Rule("job-title", re.compile(
        rf"(?P<name>{_NAME}|{_CAPS_NAME})(?:,[ \t]+|[ \t]*\n[ \t]*)"
        # Up to two words of the office before it: "Managing Director", "Data Protection
        # Officer".
        rf"(?:(?:[{_UPPER}][{_LOWER}]+|Non-Executive)[ \t]+){{0,2}}"
        rf"(?:Director|Partner|Secretary|President|Chairman|Chairperson|Chair|Treasurer|"
        rf"Attorney|Counsel|Solicitor|Barrister|Notary|CEO|CFO|COO|CTO|Manager|Officer|"
        rf"Paralegal|Trustee|Executor|Administrator)\b"), 0.75, 2),
    # For someone's attention: "for the attention of Jane Roe", "FAO Jane Roe".
    _Rule("attention", re.compile(
        rf"\b(?:[Aa]ttention[ \t]+of|FAO|F\.A\.O\.|[Cc]are[ \t]+of|[Cc]opy[ \t]+to:?)[ \t]+"
        rf"(?P<name>{_NAME}|{_CAPS_NAME})"), 0.8, 2),
    # A party with an address: "(2) Jane Roe of 12 High Street", "sent to Jane Roe at 4 Elm".
    _Rule("of-address", re.compile(
        rf"(?P<name>{_NAME}|{_CAPS_NAME}),?[ \t]+(?:of|at|residing[ \t]+at|whose[ \t]+address"
        rf"[ \t]+is)[ \t]+(?:(?:Flat|Apartment|Apt\.?|Unit|Suite)[ \t]+\w+,?[ \t]+)?"
        rf"\d+[A-Za-z]?,?[ \t]+[{_UPPER}]"),
        0.75, 2),
    # A table row that lists a person's contact details: "Jane Roe | Engineer | jroe@...".
    _Rule("table-row", re.compile(
        rf"(?m)^[ \t]*(?:\|[ \t]*)?(?P<name>{_NAME})[ \t]*(?:\||\t)"
        rf"(?=[^\n]*(?:@|\+?\(?\d{{2,4}}\)?[ .-]\d{{3}}))"), 0.75, 2),
    # A row of a table laid out in padded columns, as plain text renders one: "Tenant 1
    # <spaces> Jane Roe <spaces> 020 7946 0000 <spaces> jroe@...". The name is the first cell
    # or the one after a short label, its words one space apart (two or more part the cells),
    # and the row carries a phone number or an e-mail address.
    _Rule("padded-row", re.compile(
        rf"(?m)^[ \t]*(?:[^\n]{{1,24}}?(?:[ \t]{{2,}}|\t))?(?P<name>{_TIGHT_NAME}|{_TIGHT_CAPS})"
        rf"(?:[ \t]{{2,}}|\t|,[ \t])"
        # A whole phone number (seven digits or more in groups), not a column of figures.
        rf"(?=[^\n]*(?:@|(?<![\d.,])(?:\+\d{{1,3}}[ .-]?)?\(?\d{{2,5}}\)?[ .-]?\d{{3,4}}[ .-]?"
        rf"\d{{3,4}}(?![\d.,])))"), 0.75, 2),
    # A will or a letter of wishes names people by their relation to the writer: "I APPOINT
    # my wife JANE ROE and my friend JOHN DOE", "to my grandson Jan Kowalski".
    _Rule("kinship", re.compile(
        rf"\b(?:[Mm]y|[Hh]is|[Hh]er|[Oo]ur|[Tt]heir|MY)[ \t]+(?:late[ \t]+)?(?:wife|husband|"
        rf"partner|civil[ \t]+partner|spouse|friend|son|daughter|grandson|granddaughter|"
        rf"grandchild|brother|sister|mother|father|nephew|niece|cousin|stepson|stepdaughter|"
        rf"godson|goddaughter|aunt|uncle|children|child)[ \t]+(?P<name>{_NAME}|{_CAPS_NAME})"),
        0.8, 2),
    # Minutes and file notes report what people said: "Na Pan asked whether", "Jane Roe
    # confirmed that". The verb takes a clause, so defined terms and bodies ("the Audit
    # Committee noted") are screened by the organisation words and the determiner before.
    _Rule("speaker", re.compile(
        rf"(?<![\w\u2019'\"\u201c-])(?!(?:{_HONORIFICS})\.?[ \t])(?P<name>{_NAME})[ \t]+"
        rf"(?:said|asked|noted|reported|"
        rf"confirmed|explained|stated|replied|responded|observed|commented|queried|"
        rf"suggested|proposed|added|agreed|undertook|summari[sz]ed|presented|thanked|"
        rf"informed|advised|indicated|emphasi[sz]ed|questioned|recommended|declared)"
        rf"[ \t]+(?:that|whether|how|why|what|when|the|a|an|it|he|she|they|his|her|their|"
        rf"to|on|for|members|directors|everyone)\b"), 0.75, 2),
    # Minutes record changes of office: "noted the resignation of Jane Roe as company
    # secretary", "the appointment of Jane Roe as a director".
    _Rule("office-change", re.compile(
        rf"\b(?:resignation|appointment|re-?appointment|election|re-?election|removal|"
        rf"retirement|death|nomination|co-option)[ \t]+of[ \t]+(?!(?:{_HONORIFICS})\.?[ \t])"
        rf"(?P<name>{_NAME})[ \t]+(?:as|from|to|with)\b"), 0.75, 2),
    # "had spoken to Jane Roe at the bank", "met with Jane Roe".
    _Rule("spoken-to", re.compile(
        rf"\b(?:spoken|spoke|speak|speaking|talked|talk|met|meet|meeting|liaised|liaise|"
        rf"consulted)[ \t]+(?:to|with)[ \t]+(?P<name>{_NAME})"), 0.75, 2),
    # Correspondence: the salutation and the name under the closing.
    _Rule("salutation", re.compile(
        rf"\bDear[ \t]+(?P<name>{_NAME})[ \t]*[,:]"), 0.8, 2),
    _Rule("closing", re.compile(
        rf"\b(?:Sincerely|Regards|Respectfully(?:[ \t]+submitted)?|Yours[ \t]+"
        rf"(?:truly|faithfully|sincerely)|Best[ \t]+regards|Kind[ \t]+regards),?[ \t]*\n"
        rf"(?:[ \t]*(?:/s/)?[ \t_]*\n)?[ \t]*(?:/s/[ \t]*)?(?P<name>{_NAME}|{_CAPS_NAME})"),
        0.8, 2),
)


def find_person_names(text: str, known_names: Iterable[str] = ()) -> list[NameHit]:
    """Spans of person names in ``text``; overlapping hits are left for the caller to resolve."""
    hits: list[NameHit] = []
    for rule in _RULES:
        pos = 0
        while match := rule.pattern.search(text, pos):
            # The next search starts right after the name kept, not after the match: a name
            # group may have swallowed the next label ("Shripal Morakhia Name: Shripal ...").
            pos = match.start("name") + 1
            trimmed = _trim(text, match.start("name"), match.end("name"))
            if trimmed is None:
                continue
            (start, end), tokens = trimmed
            pos = max(pos, end)
            if tokens < rule.min_tokens:
                continue
            if rule.name in ("speaker", "office-change") and (
                    # A body or a thing may report too: "Acme Widget Supply noted that", "the
                    # Steering Group confirmed".
                    not is_person_shaped(text, start, end)
                    or _DETERMINER_BEFORE.search(text, max(0, start - 12), start)
                    or in_address_or_firm(text, start, end)):
                continue
            hits.append(NameHit(start, end, rule.score, rule.name))
    hits.extend(_greetings(text))
    hits.extend(_minute_lists(text))
    hits.extend(_name_columns(text))
    hits.extend(_side_by_side(text))
    hits.extend(find_known_names(text, known_names))
    return hits


# An e-mail greets its reader by given name alone on the first line of its body, after the
# headers and a blank line: "From: ...\nTo: ...\n\nJacob —" or "Hi Jacob,".
_GREETING = re.compile(
    rf"(?m)^(?:From|To|Cc|CC|Subject|Date|Sent)[ \t]*:[^\n]*\n"
    rf"(?:[{_UPPER}][\w-]*[ \t]*:[^\n]*\n)*[ \t]*\n[ \t]*(?:(?:Hi|Hello|Hey|Dear)[ \t]+)?"
    rf"(?!(?:All|Team|Everyone|Thanks|Sir|Madam|Colleagues|Folks|Gentlemen|Ladies|Hi|Hello|"
    rf"Hey|Dear|Good|Please|Attached|Further|Following|Apologies)\b)"
    rf"(?P<name>{_WORD})[ \t]*(?:,|[\u2014\u2013]|--?)[ \t]*$")


def _greetings(text: str) -> list[NameHit]:
    hits = []
    for match in _GREETING.finditer(text):
        trimmed = _trim(text, match.start("name"), match.end("name"))
        if trimmed is not None:
            (start, end), _ = trimmed
            hits.append(NameHit(start, end, 0.75, "greeting"))
    return hits


# Minutes list those present one to a line, the lines after the label indented under it:
# "Present:\t\tJane Roe (Chair)\n\t\t\tJohn Doe\n\t\t\tDr Ann Lee".
_MINUTE_LABEL = re.compile(
    r"(?m)^[ \t]*(?:Present|PRESENT|In[ \t]+attendance|IN[ \t]+ATTENDANCE|Apologies|APOLOGIES|"
    r"Attendees|ATTENDEES|Absent|ABSENT)[ \t]*:[^\n]*\n((?:[ \t]+\S[^\n]*(?:\n|$))+)")
_MINUTE_LINE = re.compile(
    rf"[ \t]+(?:(?:{_HONORIFICS})\.?[ \t]+)?(?P<name>{_NAME}|{_CAPS_NAME})[ \t]*"
    rf"(?:\([^()\n]*\)|,[^\n]*)?[ \t]*$")


def _minute_lists(text: str) -> list[NameHit]:
    hits = []
    for block in _MINUTE_LABEL.finditer(text):
        at = block.start(1)
        for line in block.group(1).splitlines(keepends=True):
            match = _MINUTE_LINE.fullmatch(line.rstrip("\n"))
            if match is not None:
                trimmed = _trim(text, at + match.start("name"), at + match.end("name"))
                if trimmed is not None and trimmed[1] >= 2:
                    (start, end), _ = trimmed
                    hits.append(NameHit(start, end, 0.8, "minutes"))
            at += len(line)
    return hits


# A table's column headed as a column of people ("Full name", "Holder", "Authorised
# signatory") holds one person a row, whatever the other cells hold (a position, a specimen
# signature, a number of shares, a limit); tables come as pipe tables or in padded columns.
_PERSON_COLUMN = re.compile(
    r"(?i)(?:(?:full|legal|printed|registered)[ \t]+)?names?(?:[ \t]+of[ \t]+(?:member|"
    r"shareholder|holder|director|signatory|employee|witness|trustee|beneficiary|attendee|"
    r"officer|partner|individual|person))?|(?:share|stock|unit)?holders?|members?|"
    r"(?:authori[sz]ed[ \t]+)?signator(?:y|ies)|directors?|officers?|employees?|"
    r"team[ \t]+members?|attendees?|trustees?|beneficiar(?:y|ies)|witness(?:es)?|"
    r"individuals?|persons?|fee[ \t]+earners?|staff|personnel")
_TABLE_CELL_GAP = re.compile(r"[ \t]*(?:\t|\|| {2,})[ \t]*")
_ROW_NUMBER = re.compile(r"(?:\d{1,3}[.)]|[-•*])[ \t]+")
_RULE_ROW = re.compile(r"[|:\-\s+=]+")


def _cells(line: str) -> list[tuple[int, int]]:
    """The non-empty cells of a table row, as offsets into the line."""
    cells, at = [], 0
    for gap in _TABLE_CELL_GAP.finditer(line):
        if gap.start() > at:
            cells.append((at, gap.start()))
        at = gap.end()
    if at < len(line.rstrip()):
        cells.append((at, len(line.rstrip())))
    return cells


def _name_columns(text: str) -> list[NameHit]:
    hits: list[NameHit] = []
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    for n, header in enumerate(lines):
        cells = _cells(header)
        if len(cells) < 2:
            continue
        column = next((k for k, (a, b) in enumerate(cells)
                       if _PERSON_COLUMN.fullmatch(header[a:b].strip())), None)
        if column is None:
            continue
        for row_n in range(n + 1, min(len(lines), n + 60)):
            row = lines[row_n]
            if not row.strip():
                break
            if _RULE_ROW.fullmatch(row):
                continue
            row_cells = _cells(row)
            if len(row_cells) < 2 or len(row_cells) <= column:
                break  # the table has ended
            a, b = row_cells[column]
            number = _ROW_NUMBER.match(row, a, b)
            if number is not None:
                a = number.end()
            for name in re.finditer(rf"{_TIGHT_NAME}|{_TIGHT_CAPS}", row[a:b]):
                trimmed = _trim(text, starts[row_n] + a + name.start(),
                                starts[row_n] + a + name.end())
                if trimmed is not None and trimmed[1] >= 2:
                    (start, end), _ = trimmed
                    hits.append(NameHit(start, end, 0.75, "name-column"))
    return hits


# Two signature blocks side by side: two rules on one line, the typed names on the next, a
# column gap between them.
_DOUBLE_RULE = re.compile(r"(?m)^[ \t]*(?:_{5,}|\.{5,})(?:[ \t]{2,}(?:_{5,}|\.{5,}))+[ \t]*\n"
                          r"(?P<line>[^\n]+)")


def _side_by_side(text: str) -> list[NameHit]:
    hits = []
    for block in _DOUBLE_RULE.finditer(text):
        at = block.start("line")
        for a, b in _cells(block.group("line")):
            cell = block.group("line")[a:b]
            if re.fullmatch(rf"(?:/s/[ \t]*)?(?:{_TIGHT_NAME}|{_TIGHT_CAPS})", cell):
                lead = len(cell) - len(cell.removeprefix("/s/").lstrip())
                trimmed = _trim(text, at + a + lead, at + b)
                if trimmed is not None and trimmed[1] >= 2:
                    (start, end), _ = trimmed
                    hits.append(NameHit(start, end, 0.8, "side-by-side"))
    return hits


def find_known_names(text: str, known_names: Iterable[str]) -> list[NameHit]:
    """Occurrences of the given names, in any case and spacing."""
    names = sorted({" ".join(n.split()) for n in known_names if n.strip()}, key=len,
                   reverse=True)
    if not names:
        return []
    pattern = re.compile(
        r"(?<![\w])(?:" + "|".join(_flexible(name) for name in names) + r")(?![\w])",
        re.IGNORECASE)
    return [NameHit(m.start(), m.end(), 0.95, "gazetteer") for m in pattern.finditer(text)]


def _flexible(name: str) -> str:
    return r"\s+".join(re.escape(part) for part in name.split())


def is_plausible_alias(token: str) -> bool:
    """Whether a surname alone may stand for a known full name wherever it appears."""
    word = token.strip(".,\u2019'")
    key = word.casefold()
    # Surnames that are also street or company words ("Park", "Hall", "Banks") would take
    # "Park Avenue" with them.
    return (len(word) >= 3 and word[:1].isupper() and not word.isupper()
            and key not in _STOP_WORDS and key not in _NOT_A_PERSON
            and key not in _SUFFIX_NOT_A_PERSON and key.rstrip("s") not in _SUFFIX_NOT_A_PERSON)


# Capitalized words a statistical model takes for names in contracts: defined terms for the
# parties ("the Consultant", "Licensee") and headings. Rules need no such list, since their
# cues already say a person follows.
_MODEL_NOT_A_PERSON = _words("""
consultant contractor executive purchaser recipient borrower lender guarantor lessee lessor
licensee licensor franchisee franchisor distributor supplier customer vendor provider client
owner founder advisor inventor author grantor grantee trustee beneficiary executor
disclosing receiving parties party hereto hereof thereof whereas witnesseth recitals
indemnitee indemnitor assignee assignor transferee transferor subscriber holder holders
investor investors purchasers sellers employer employees affiliate affiliates subsidiary
effective closing term territory products services confidential proprietary intellectual
governing law laws arbitration force majeure termination notices notice entire severability
counterparts amendment waiver assignment warranties representations indemnification
liability insurance payment payments fee royalty royalties schedule exhibit annex recital
dear sir madam sincerely regards witness signature signatures
civ crim proc evid supp stat ann reg regs fed cir cal app rptr
""")
_CASE_NAME = re.compile(r"[ \t]+v(?:s)?\.?[ \t]")
_CASE_NAME_BEFORE = re.compile(r"[ \t]v(?:s)?\.?[ \t]+$")


# A house number before the phrase makes it a street ("875 Sheryl Meadows"); "and" with one
# more name after it, a firm ("Olson Jordan and Cannon", "HICKS HARDIN AND FOSTER"); a
# description naming a kind of entity, a company ('Curtis Gill, a Delaware corporation').
# A number before it, a street or a numbered heading ("17.4 Respectful Workplace").
_HOUSE_NUMBER_BEFORE = re.compile(r"(?<![\w,])(?:\d+\.)*\d+[A-Za-z]?\.?[ \t]+$")
_FIRM_AFTER = re.compile(
    rf",?[ \t]+(?:and|And|AND|&)[ \t]+(?:{_WORD}|{_CAPS_WORD})"
    # The firm's suffix may follow: "NELSON OCHOA AND GARRETT LIMITED".
    # "... AND GARRETT NOMINEES LIMITED", "... and Harrison P.C.", "... and Webb & Co."
    rf"(?:[ \t]+(?i:limited|ltd\.?|llp|llc|l\.l\.c\.|inc\.?|plc|corp\.?|corporation|company|"
    rf"gmbh|partners|associates|holdings|group|nominees|trustees|p\.c\.|pc|p\.a\.|pllc|"
    rf"s\.c\.|(?:&|and)[ \t]+co\.?)){{0,2}}(?![\w\u2019'-])"
    rf"(?![ \t]+(?:{_PARTICLE}[ \t]+){{0,2}}(?:{_WORD}|{_CAPS_WORD}|{_INITIAL}))")
_ENTITY_AFTER = re.compile(rf",?[ \t]+(?:an?|the)[ \t]+(?={_ENTITY_WORDS})")
_UNIT_AFTER = re.compile(r"[ \t]+(?:Apt|Apartment|Suite|Ste|Unit|Floor|Fl)\b")
# Words that open a place's name, not a person's ("Lake Edwin", "Port Mark", "Lower Parel").
_PLACE_PREFIXES = _words("""
lake port mount mt fort ft saint san santa los las el new east west north south upper lower
greater little cape
""")


# Words that end a place's name ("Potomac Falls", "Smaaash Centre"); not "Hill" or "Park",
# which are common surnames.
_PLACE_SUFFIXES = _words("""
falls springs heights hills island islands bay harbor harbour valley beach river lake
mountain mountains county parish province region centre center square gardens estates
""")


def in_address_or_firm(text: str, start: int, end: int) -> bool:
    """Whether the name-shaped ``text[start:end]`` is part of a street address, a place, a
    numbered heading or a firm's name rather than a person's name."""
    words = text[start:end].split()
    return (_key(words[0]) in _PLACE_PREFIXES or _key(words[-1]) in _PLACE_SUFFIXES
            or _HOUSE_NUMBER_BEFORE.search(text, max(0, start - 12), start) is not None
            or _FIRM_AFTER.match(text, end) is not None
            or _ENTITY_AFTER.match(text, end) is not None
            or _UNIT_AFTER.match(text, end) is not None)


_COLUMN_GAP = re.compile(r"[ \t]*\t[ \t]*| {2,}")


def screen_model_name(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The person-name part of a span a statistical model labelled a person, or None.

    The model's span is cut at a line break (it may run into a title line), trimmed like a
    rule's candidate, and rejected when it is a defined term (quoted, or a party word), a
    single word in capitals, or a party of a case citation ("Williams v. Superior Court"),
    which names the public record rather than a person in the document.
    """
    cut = text.find("\n", start, end)
    if cut >= 0:
        end = cut
    # Nor across a gap of two spaces or a tab, which parts the cells of a table laid out in
    # columns: "Occupation  Professor Emeritus" is a label and its value.
    gap = _COLUMN_GAP.search(text, start, end)
    if gap is not None:
        end = gap.start()
    if start > 0 and text[start - 1] in "\"“":
        return None
    trimmed = _trim(text, start, end, _MODEL_NOT_A_PERSON)
    if trimmed is None:
        return None
    (first, last), tokens = trimmed
    words = text[first:last].split()
    if any(ch.isdigit() for ch in text[first:last]) or not (
            words[0][:1].isupper() and words[-1][:1].isupper()):
        return None
    if tokens == 1:
        # One capitalized word is as often a defined term ("Ingredients") or a company
        # ("Fonterra") as a person; a surname alone is caught through its full name or its
        # title instead.
        return None
    if re.fullmatch(rf"[{_UPPER}]", words[-1]):
        return None  # "Subchapter M", "Schedule B"
    if _CASE_NAME.match(text, last) or _CASE_NAME_BEFORE.search(text, max(0, first - 8), first):
        return None
    if in_address_or_firm(text, first, last) or _ABSTRACT_NOUN.search(words[-1]):
        return None
    return first, last


# Endings of abstract nouns, which capitalized terms end in and surnames hardly ever do
# ("Hazard Analysis", "Data Protection", "Good Faith Commitment").
_ABSTRACT_NOUN = re.compile(r"(?:ysis|tion|sion|ness|ity|ology|ship|ism|.{5,}ment|ments)\W*$")


_DETERMINERS = (r"the|a|an|any|such|each|all|this|these|those|its|their|our|your|every|no|"
                r"other|said|which|what|certain|The|Any|Such|Each|All|This|These|Those|Its|Their")


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def ends_in_common_word(text: str, phrase: str) -> bool:
    """Whether the last word of ``phrase`` also stands in ``text`` in lower case ("Hazard
    Analysis" beside "analysis"): a capitalized term, not a surname, which legal text does not
    write in lower case."""
    words = phrase.split()
    if len(words) < 2 or not words[-1].isalpha():
        return False
    # Only a word of prose counts: the surname in lower case inside an e-mail address, a web
    # address or a file name ("jane.roe@firm.com") is the person's, not a common word.
    # Searched with str.find rather than a pattern made for the word: a pattern per phrase
    # is compiled anew each time (the regex cache holds far fewer), which cost more than the
    # rest of the screening.
    word = words[-1].casefold()
    at = text.find(word)
    while at >= 0:
        before = text[at - 1] if at else ""
        end = at + len(word)
        after = text[end:end + 1]
        if not (before and (_is_word_char(before) or before in ".@/-")) and not (
                after and (_is_word_char(after) or after in "@/-"
                           or (after == "." and _is_word_char(text[end + 1:end + 2] or " ")))):
            return True
        at = text.find(word, at + 1)
    return False


_DETERMINER_PHRASE_BEFORE = re.compile(
    rf"\b(?:{_DETERMINERS})\s+(?:[{_UPPER}][\w-]*\s+){{0,2}}$")


def used_as_common_noun(text: str, phrase: str) -> bool:
    """Whether ``text`` writes ``phrase`` after a determiner anywhere ("any Purchase Orders",
    "the Licensed Programs", "such Master Purchase Commitment"): a defined term or a thing,
    which a person's name is not."""
    words = phrase.split()
    if not words:
        return False
    # Each occurrence of the phrase (any spacing between its words) is found with str.find,
    # then what precedes it is read with one compiled pattern: see ends_in_common_word.
    at = text.find(words[0])
    while at >= 0:
        end = at + len(words[0])
        for word in words[1:]:
            gap = end
            while gap < len(text) and text[gap].isspace():
                gap += 1
            if gap == end or not text.startswith(word, gap):
                end = -1
                break
            end = gap + len(word)
        if (end >= 0 and not _is_word_char(text[end:end + 1] or " ")
                and _DETERMINER_PHRASE_BEFORE.search(text, max(0, at - 120), at) is not None):
            return True
        at = text.find(words[0], at + 1)
    return False


_NAME_TOKEN = rf"(?:{_WORD}|{_INITIAL})"
_LEFT_OF_NAME = re.compile(
    rf"(?:{_NAME_TOKEN}[ \t]+(?:(?:{_PARTICLE}[ \t]+){{0,2}}|{_JOIN}[ \t]+)){{1,2}}$")
_HYPHENATED_AFTER = re.compile(rf"-[{_UPPER}][{_LOWER}]+{_APOS}(?![\w])")
_HYPHENATED_BEFORE = re.compile(rf"(?<![\w\u2019'-])[{_UPPER}][{_LOWER}]+-$")
_RIGHT_OF_NAME = re.compile(
    rf"(?:[ \t]+(?:(?:{_PARTICLE}[ \t]+){{0,2}}|{_JOIN}[ \t]+){_NAME_TOKEN}){{1,2}}")


def widen_model_name(text: str, start: int, end: int) -> tuple[int, int]:
    """A model's person span widened over the name-shaped words right beside it on its line:
    models often label part of an unfamiliar name ("Paulette [Jean]", "ObaniJesu [Owolabi]")."""
    # A span that stops at a hyphen stops inside a double-barrelled surname ("Rayan van
    # Noordeloos[-Obi]"): the tokenizer splits at the hyphen, the model labels one side.
    while (joined := _HYPHENATED_AFTER.match(text, end)) is not None:
        end = joined.end()
    while (joined := _HYPHENATED_BEFORE.search(text, max(0, start - 40), start)) is not None:
        start = joined.start()
    left = _LEFT_OF_NAME.search(text, max(0, start - 80), start)
    if left is not None:
        start = left.start()
    right = _RIGHT_OF_NAME.match(text, end)
    if right is not None:
        end = right.end()
    return start, end


_PERSON_SHAPE = re.compile(
    rf"(?:{_INITIAL}[ \t]+){{0,2}}{_WORD}(?:[ \t]+(?:{_INITIAL}|(?:{_PARTICLE}[ \t]+){{1,2}}"
    rf"{_WORD}|{_JOIN}[ \t]+{_WORD}|{_WORD})){{1,3}}{_SUFFIX}?")
_ORG_WORDS = _words("""
communications cable media entertainment networks network pharmaceuticals pharma labs
laboratories brands nutrition motors energy foods food insurance financial finance realty
properties health healthcare medical software digital studios studio productions records
airlines airways resources mining oil gas petroleum chemicals steel electric power water
telecom wireless semiconductor devices instruments equipment supply supplies trading
marketing consulting partners advisors capital securities investments management hotels
resorts casino golf club river lake mountain valley beach falls springs park heights hills
island islands bay harbor harbour port county parish province region outreach analysis
program programs workplace organizations organization medicare medicaid
""")


def is_person_shaped(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is written like a personal name through and through (two
    to four capitalized words, initials, particles) with no word of a company or a place; for
    spans a model labelled as something other than a person."""
    if _PERSON_SHAPE.fullmatch(text, start, end) is None:
        return False
    return not any(_key(w) in _ORG_WORDS for w in text[start:end].split())


_CAPS_RUN = re.compile(rf"(?<![\w\u2019'-])[{_UPPER}][{_UPPER}\u2019'-]*[{_UPPER}]"
                       rf"(?:[ \t]+(?:[{_UPPER}]\.|[{_UPPER}][{_UPPER}\u2019'-]*[{_UPPER}]))+"
                       rf"(?![\w\u2019'-])")


def title_case_capitals(text: str) -> str:
    """``text`` with each run of two or more words in capitals written in title case, letter
    for letter (offsets unchanged), for a model that learnt names from mixed-case text: a
    signature block or a caption writes "MARGUERITE OKONKWO-HALVORSEN"."""

    def title(match: re.Match[str]) -> str:
        run = match.group()
        titled = re.sub(rf"[{_UPPER}]+", lambda m: m.group()[0] + m.group()[1:].lower(), run)
        # A letter whose lower case is longer (or shorter) would shift every offset after it.
        return titled if len(titled) == len(run) else run

    return _CAPS_RUN.sub(title, text)


_UNFAMILIAR_CANDIDATE = re.compile(
    rf"(?<![\w.\-\u2019'])(?:{_INITIAL}[ \t]+){{0,2}}{_WORD}(?:[ \t]+(?:{_INITIAL}|"
    rf"(?:{_PARTICLE}[ \t]+){{1,2}}{_WORD}|{_JOIN}[ \t]+{_WORD}|{_WORD})){{1,4}}{_SUFFIX}?"
    rf"(?![\w\-])")
_DETERMINER_BEFORE = re.compile(
    r"\b(?:the|a|an|any|such|each|this|that|these|those|its|their|our|your|every|no|said|"
    r"The|A|An|Any|Such|Each|This|That|These|Those|Its|Their|Our|Your|Every|No|Said)"
    r"[ \t]+$")


# "County of Los Angeles", "STATE OF NEW YORK": a place after its kind.
_PLACE_OF = re.compile(
    r"\b(?:[Cc]ounty|[Ss]tate|[Cc]ity|[Dd]istrict|[Pp]rovince|[Rr]epublic|[Cc]ommonwealth|"
    r"[Tt]own|[Bb]orough|[Pp]arish|[Kk]ingdom|[Tt]erritory|[Rr]egion|[Mm]unicipality|"
    r"COUNTY|STATE|CITY|DISTRICT|PROVINCE|REPUBLIC|COMMONWEALTH|TOWN|BOROUGH|PARISH|KINGDOM|"
    r"TERRITORY|REGION)[ \t]+(?:of|OF)[ \t]+$")


def find_unfamiliar_names(text: str, is_word: Callable[[str], bool]) -> list[NameHit]:
    """Two to four capitalized words none of which is a dictionary word (``is_word``), an
    organisation, place or legal word: "Thabisile Chamane", "Colum Guerin".

    Names no model recognizes and no cue announces are mostly made of words no dictionary
    holds, while the capitalized phrases of legal text (defined terms, headings, courts,
    companies) are made of dictionary words. A phrase after a determiner is a defined term
    or a thing ("the Fonterra Supply"), one in quotes a defined term.
    """
    hits: list[NameHit] = []
    for match in _UNFAMILIAR_CANDIDATE.finditer(text):
        trimmed = _trim(text, match.start(), match.end(), _MODEL_NOT_A_PERSON)
        if trimmed is None:
            continue
        (start, end), _ = trimmed
        # A capitalized word that opens the phrase may open the sentence ("Replacing Jane
        # Roe requires"): a dictionary word there is dropped while two words remain.
        while (len(text[start:end].split()) > 2
               and (first := re.match(r"\S+[ \t]+", text[start:end]))
               and not re.fullmatch(rf"{_INITIAL}|{_PARTICLE}", first.group().strip())
               and is_word(_key(first.group().strip()))):
            start += first.end()
        words = [w for w in text[start:end].split()
                 if not re.fullmatch(rf"{_INITIAL}|{_PARTICLE}", w)
                 and _key(w) not in _NAME_SUFFIX_WORDS]
        if len(words) < 2 or any(w.isupper() for w in words) or not words[0][:1].isupper():
            continue
        parts = [p for w in words for p in re.split(r"[-\u2019']", _key(w)) if p]
        if any(p in _ORG_WORDS or p in _NOT_A_PERSON for p in parts):
            continue
        # A given name may be a word ("Hope", "Grace"); the surname must not be: a word
        # after an unknown one is how brands and defined terms read ("Smaaash Centre"). A
        # double-barrelled surname needs one unknown half ("Chavarría-Vargas").
        halves = [p for p in re.split(r"[-\u2019']", _key(words[-1])) if p]
        if (all if len(halves) > 1 and "-" in words[-1] else any)(is_word(p) for p in halves):
            continue
        if start > 0 and text[start - 1] in "\"\u201c":
            continue
        if _CASE_NAME.match(text, end) or _CASE_NAME_BEFORE.search(text, max(0, start - 8),
                                                                     start):
            continue  # a party of a cited case, public record
        if _DETERMINER_BEFORE.search(text, max(0, start - 12), start) or _PLACE_OF.search(
                text, max(0, start - 40), start) or in_address_or_firm(text, start, end):
            continue
        hits.append(NameHit(start, end, 0.6, "unfamiliar"))
    return hits


_COORDINATED_AFTER = re.compile(
    rf"[ \t]+(?:and|&)[ \t]+(?P<name>{_NAME}|{_CAPS_NAME})(?![\w\u2019'-])")
_COORDINATED_BEFORE = re.compile(
    rf"(?<![\w\u2019'.-])(?P<name>{_NAME}|{_CAPS_NAME})[ \t]+(?:and|&)[ \t]+$")


def coordinated_names(text: str, persons: Iterable[tuple[int, int]]) -> list[NameHit]:
    """Names joined by "and" to a person already found ("Honoré Lopez and Eugène Sanchez
    shall jointly approve"): drafting coordinates like with like, so a phrase shaped like a
    name beside a person is a person, even where neither the rules nor a model would take it
    alone. Firms ("Olson Jordan and Cannon"), places and organisation words are still not."""
    hits: list[NameHit] = []
    for start, end in persons:
        candidates = []
        after = _COORDINATED_AFTER.match(text, end)
        if after is not None:
            candidates.append(after.span("name"))
        before = _COORDINATED_BEFORE.search(text, max(0, start - 120), start)
        if before is not None:
            candidates.append(before.span("name"))
        for a, b in candidates:
            trimmed = _trim(text, a, b, _MODEL_NOT_A_PERSON)
            if trimmed is None:
                continue
            (a, b), tokens = trimmed
            if tokens < 2 or in_address_or_firm(text, a, b):
                continue
            if not (is_person_shaped(text, a, b)
                    or is_person_shaped(title_case_capitals(text[a:b]), 0, b - a)):
                continue
            hits.append(NameHit(a, b, 0.7, "coordinated"))
    return hits


def may_hold_a_name(text: str) -> bool:
    """Whether some line of ``text`` has two letters in upper case with a space between them.

    Every name the model's spans, the rules or the dictionary rule keep is two words or more
    on one line, the first and the last capitalized; a text without such a line (a number, a
    lowercase phrase, a trace's small values) needs no model call at all.
    """
    for line in text.splitlines():
        first = next((i for i, ch in enumerate(line) if ch.isupper()), -1)
        if first < 0:
            continue
        last = next(i for i in range(len(line) - 1, -1, -1) if line[i].isupper())
        if last > first and any(ch.isspace() for ch in line[first:last]):
            return True
    return False
