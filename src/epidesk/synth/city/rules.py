"""Pure rules of the synthetic city (sizes, distributions with their sources, ID numbers).

Figures marked "published" are quoted from the named table; figures marked
"approximation" or "assumption" are ours, chosen to be consistent with the published
totals next to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from epidesk.errors import ValidationFailedError

FloatArray: TypeAlias = NDArray[np.float64]
IntArray: TypeAlias = NDArray[np.int64]
BoolArray: TypeAlias = NDArray[np.bool_]

# The day the generated city describes: ages, school classes and job tenures are as of
# this date (the start of a school year), so a seed always gives the same city.
REFERENCE_DATE = date(2026, 9, 1)

MAX_PEOPLE = 30_000_000


# Sizing of the hierarchy: a residential community of about 4,000 residents, about
# 15 communities to a subdistrict (street office) and 12 subdistricts to a district.
RESIDENTS_PER_COMMUNITY = 4_000
COMMUNITIES_PER_SUBDISTRICT = 15
SUBDISTRICTS_PER_DISTRICT = 12

# ------------------------------------------------------------------ households

# Family households by number of members, China 2020 (7th national population census,
# China Population Census Yearbook 2020, table "family households by size").
# Published: one-person households 25.39 %, mean size 2.62 persons.
# Approximation: the shares of 2 to 10+ persons are our rounded estimates in line with
# that table (two-person households the most common, then three and four), chosen so
# that the mean is 2.62.
HOUSEHOLD_SIZE_SHARES: dict[int, float] = {
    1: 25.39, 2: 29.68, 3: 20.99, 4: 13.17, 5: 6.18,
    6: 2.89, 7: 0.96, 8: 0.38, 9: 0.15, 10: 0.21,
}
MEAN_HOUSEHOLD_SIZE = 2.62

# Household memberships: a child has lived in the household since birth. Assumption
# (ours; no published distribution of years at the current address is used): an adult
# moved in a number of years before the reference date drawn from an exponential
# distribution with this mean, but not before their 18th birthday (an adult who has
# lived there longer is recorded from that birthday on).
MEAN_YEARS_AT_ADDRESS = 10.0

# ------------------------------------------------------------------ age and sex

# Population by five-year age band, millions, China 2020 (7th national population
# census, table "population by age and sex"). Approximation: our rounded estimates of
# the band figures (the 0-14 bands sum to the published 253.4 million), rescaled by
# `age_band_shares()` so that the broad groups match the published shares below.
AGE_BAND_MILLIONS: tuple[float, ...] = (
    77.88, 90.24, 85.26,  # 0-4, 5-9, 10-14
    72.68, 74.94, 91.85, 124.15, 99.01, 93.00, 114.22, 121.16, 101.40,  # 15-19 ... 55-59
    73.38, 74.01, 49.59, 30.09, 20.38, 15.80,  # 60-64 ... 80-84, 85+
)
# Published (7th census communiqué no. 5, age composition): 0-14 17.95 %,
# 15-59 63.35 %, 60 and over 18.70 % (65 and over 13.50 %).
BROAD_AGE_SHARES = {(0, 15): 17.95, (15, 60): 63.35, (60, 200): 18.70}
SHARE_60_PLUS = 0.1870
OLDEST_AGE = 104

# Published (7th census communiqué no. 4): sex ratio 105.07 men per 100 women.
MALE_SHARE = 105.07 / 205.07

ADULT_AGE = 18
ELDERLY_AGE = 60


def age_band_shares() -> FloatArray:
    """Share of the population in each five-year band (0-4 ... 85+), summing to 1."""
    counts = np.array(AGE_BAND_MILLIONS, dtype=np.float64)
    lows = np.arange(len(counts)) * 5
    shares = np.empty_like(counts)
    for (lo, hi), share in BROAD_AGE_SHARES.items():
        in_group = (lows >= lo) & (lows < hi)
        shares[in_group] = counts[in_group] / counts[in_group].sum() * share
    result: FloatArray = shares / shares.sum()
    return result


def household_size_shares() -> tuple[IntArray, FloatArray]:
    """Household sizes and their shares (summing to 1)."""
    sizes = np.array(list(HOUSEHOLD_SIZE_SHARES), dtype=np.int64)
    shares = np.array(list(HOUSEHOLD_SIZE_SHARES.values()), dtype=np.float64)
    return sizes, shares / shares.sum()


def _by_age(ages: NDArray[Any], bounds: tuple[int, ...], values: tuple[float, ...]) -> FloatArray:
    """values[k] for bounds[k-1] <= age < bounds[k] (one more value than bounds)."""
    table = np.array(values, dtype=np.float64)
    return table[np.searchsorted(np.array(bounds), np.asarray(ages), side="right")]


# ------------------------------------------------------------------ vulnerability


def pregnancy_probability(ages: NDArray[Any], male: NDArray[np.bool_]) -> FloatArray:
    """Chance that a resident is pregnant on the reference date."""
    # Assumption: calibrated to the published 2020 crude birth rate of 8.52 per 1,000
    # (NBS statistical communiqué 2020) times 0.75 (nine months of pregnancy a year),
    # i.e. about 0.65 % of the population, concentrated at 25-34.
    p = _by_age(ages, (20, 25, 30, 35, 40, 45), (0, 0.045, 0.075, 0.05, 0.022, 0.005, 0))
    return np.where(male, 0.0, p)


def disability_probability(ages: NDArray[Any]) -> FloatArray:
    """Chance that a resident has a disability."""
    # Published: 6.34 % of the population had a disability (Second China National
    # Sample Survey on Disability, 2006). Assumption: the split by age, rising with age,
    # chosen so the population-wide share is about 6.3 %.
    return _by_age(ages, (15, 60, 80), (0.01, 0.04, 0.16, 0.35))


def chronic_medication_probability(ages: NDArray[Any]) -> FloatArray:
    """Chance that a resident depends on regular medication for a chronic disease."""
    # Assumption, informed by the Report on Nutrition and Chronic Diseases of Chinese
    # Residents (2020): hypertension in 27.5 % and diabetes in 11.9 % of adults, most
    # of them 45 and over; not every patient is on continuous treatment.
    return _by_age(ages, (18, 45, 60, 70), (0.01, 0.05, 0.20, 0.45, 0.60))


def smartphone_probability(ages: NDArray[Any]) -> FloatArray:
    """Chance that a resident has (and uses) a smartphone of their own."""
    # Assumption, informed by CNNIC's 47th Statistical Report on Internet Development
    # (Feb 2021): 989 million users, 99.7 % of them on mobile phones, 11.2 % aged 60+,
    # i.e. roughly 110 million of the 264 million people aged 60 and over (~42 %).
    return _by_age(ages, (10, 15, 18, 50, 60, 70, 80),
                   (0.0, 0.35, 0.85, 0.97, 0.88, 0.55, 0.33, 0.10))


# Assumption: adults without a smartphone still often have a basic mobile phone.
BASIC_PHONE_SHARE = 0.6


def home_suitable_probability(sizes: NDArray[Any]) -> FloatArray:
    """Chance that a household's flat allows home quarantine (own room and bathroom)."""
    # Assumption: a person living alone nearly always can; larger households rarely
    # have a spare room with its own bathroom.
    return _by_age(sizes, (2, 3, 4, 5), (0.95, 0.70, 0.50, 0.35, 0.25))


# ------------------------------------------------------------------ work

# Statutory retirement ages (State Council 1978 rules, raised only gradually from
# 2025): men 60, women 50 (workers) or 55 (cadres); we use 55 for women.
RETIREMENT_AGE_MEN = 60
RETIREMENT_AGE_WOMEN = 55
WORK_GROUP_MIN = 5
WORK_GROUP_MAX = 40


def employment_probability(ages: NDArray[Any]) -> FloatArray:
    """Chance that a resident of working age has a job (students excepted)."""
    # Assumption: many 18-22 year-olds are in education; participation is highest
    # at 25-49 and falls before retirement.
    return _by_age(ages, (18, 20, 23, 25, 50, 55, 60),
                   (0.0, 0.25, 0.45, 0.75, 0.85, 0.75, 0.60, 0.0))


def working_age(ages: NDArray[Any], male: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Whether residents are between 18 and their retirement age."""
    limit = np.where(male, RETIREMENT_AGE_MEN, RETIREMENT_AGE_WOMEN)
    result: NDArray[np.bool_] = (np.asarray(ages) >= ADULT_AGE) & (np.asarray(ages) < limit)
    return result


# ------------------------------------------------------------------ schools


@dataclass(frozen=True)
class SchoolStage:
    """One stage of schooling: who attends and how classes are sized."""

    kind: str
    label: str
    first_age: int
    last_age: int
    first_grade: int
    enrolment: float
    class_size: int
    classes_per_grade: int  # parallel classes of one grade in one school


# Ages on 1 September: children who are 6 start primary school (Compulsory Education
# Law). Enrolment, published (Ministry of Education, Statistical Bulletin on National
# Education Development 2020): pre-school gross enrolment 85.2 %, primary net 99.96 %,
# junior secondary gross 102.5 % (capped here at 99 %), senior secondary gross 91.2 %.
# Class sizes: kindergarten classes are capped at 25/30/35 (Kindergarten Work
# Regulations, 2016) - we use 30; primary 45 and secondary 50 (MoE standard class sizes).
SCHOOL_STAGES: tuple[SchoolStage, ...] = (
    SchoolStage("kindergarten", "Kindergarten", 3, 5, 1, 0.852, 30, 3),
    SchoolStage("primary", "Primary School", 6, 11, 1, 0.9996, 45, 5),
    SchoolStage("middle", "Middle School", 12, 14, 7, 0.99, 50, 10),
    SchoolStage("high", "High School", 15, 17, 10, 0.912, 50, 12),
)
KINDERGARTEN_CLASS_NAMES = ("Small Class", "Middle Class", "Senior Class")


def school_stage(ages: NDArray[Any]) -> IntArray:
    """Index into SCHOOL_STAGES of the stage for each age, -1 when of no school age."""
    bounds = [s.first_age for s in SCHOOL_STAGES] + [SCHOOL_STAGES[-1].last_age + 1]
    stage = np.searchsorted(np.array(bounds), np.asarray(ages), side="right") - 1
    return np.where(stage >= len(SCHOOL_STAGES), -1, stage).astype(np.int64)


def school_grade(ages: NDArray[Any], stages: NDArray[Any]) -> IntArray:
    """The grade of pupils of these ages in these stages (kindergarten 1-3, school 1-12)."""
    first_age = np.array([s.first_age for s in SCHOOL_STAGES])[stages]
    first_grade = np.array([s.first_grade for s in SCHOOL_STAGES])[stages]
    grades: IntArray = (np.asarray(ages) - first_age + first_grade).astype(np.int64)
    return grades


# Assumption: the share of residents who ask for their letters in English (foreign
# residents and returnees).
ENGLISH_LETTER_SHARE = 0.02

# ------------------------------------------------------------------ venues


@dataclass(frozen=True)
class VenueKind:
    """A kind of public place, how common it is and whether it is indoors."""

    kind: str
    label: str
    weight: float
    enclosed_share: float


# Assumption: the mix of public places in a Chinese prefecture-level city; about one
# venue per VENUE_RESIDENTS residents. Hospitals are added per district separately.
VENUE_RESIDENTS = 300
HOSPITAL_RESIDENTS = 80_000
VENUE_KINDS: tuple[VenueKind, ...] = (
    VenueKind("restaurant", "Restaurant", 30, 1.0),
    VenueKind("convenience_store", "Convenience Store", 14, 1.0),
    VenueKind("supermarket", "Supermarket", 6, 1.0),
    VenueKind("market", "Market", 4, 0.5),
    VenueKind("pharmacy", "Pharmacy", 6, 1.0),
    VenueKind("clinic", "Clinic", 5, 1.0),
    VenueKind("barbershop", "Barbershop", 7, 1.0),
    VenueKind("gym", "Gym", 3, 1.0),
    VenueKind("mahjong_parlour", "Mahjong Parlour", 4, 1.0),
    VenueKind("internet_cafe", "Internet Cafe", 2, 1.0),
    VenueKind("karaoke", "Karaoke", 2, 1.0),
    VenueKind("bathhouse", "Bathhouse", 1.5, 1.0),
    VenueKind("cinema", "Cinema", 0.5, 1.0),
    VenueKind("bank", "Bank", 3, 1.0),
    VenueKind("hotel", "Hotel", 3, 1.0),
    VenueKind("church_or_temple", "Temple", 0.5, 0.7),
    VenueKind("park", "Park", 2, 0.0),
    VenueKind("square", "Square", 2, 0.0),
    VenueKind("bus_station", "Bus Station", 0.5, 0.6),
)
HOSPITAL = VenueKind("hospital", "Hospital", 0, 1.0)

# ------------------------------------------------------------------ workplaces


@dataclass(frozen=True)
class WorkplaceKind:
    """A kind of workplace and the names of its teams."""

    kind: str
    label: str
    team: str
    large: bool


WORKPLACE_KINDS: tuple[WorkplaceKind, ...] = (
    WorkplaceKind("shop", "Trading Co.", "Shop Floor", False),
    WorkplaceKind("restaurant", "Restaurant", "Kitchen Team", False),
    WorkplaceKind("office", "Consulting Co.", "Department", False),
    WorkplaceKind("services", "Services Co.", "Team", False),
    WorkplaceKind("workshop", "Workshop", "Bench", False),
    WorkplaceKind("factory", "Manufacturing Co.", "Workshop", True),
    WorkplaceKind("office", "Technology Co.", "Department", True),
    WorkplaceKind("hospital", "Hospital", "Ward Team", True),
    WorkplaceKind("logistics", "Logistics Co.", "Shift", True),
    WorkplaceKind("government", "Administration Bureau", "Section", True),
    WorkplaceKind("construction", "Construction Co.", "Crew", True),
)
SCHOOL_WORKPLACE = WorkplaceKind("school", "", "Staff Room", True)

# ------------------------------------------------------------------ buildings


@dataclass(frozen=True)
class BuildingType:
    """A residential building type: floors, stairwell units and flats per floor."""

    name: str
    weight: float
    floors: tuple[int, ...]
    units: tuple[int, ...]
    doors: tuple[int, ...]


# Assumption: older compounds of six-storey walk-ups, mid-rise blocks, and newer
# high-rise compounds of 18 to 33 storeys.
BUILDING_TYPES: tuple[BuildingType, ...] = (
    BuildingType("walk-up", 0.40, (5, 6, 7), (2, 3, 4), (2,)),
    BuildingType("mid-rise", 0.25, (9, 11, 12), (2, 3), (2, 3)),
    BuildingType("high-rise", 0.35, (18, 26, 33), (1, 2), (2, 3, 4)),
)
VACANCY_RANGE = (0.04, 0.14)

# ------------------------------------------------------------------ sizes and checks


@dataclass(frozen=True)
class HierarchyPlan:
    """How many districts, subdistricts and communities a city of `people` has."""

    people: int
    districts: int
    subdistricts: int
    communities: int


def validate_people(people: int) -> int:
    """The number of residents, or ValidationFailedError when it is not sensible."""
    if isinstance(people, bool) or not isinstance(people, int | np.integer):
        raise ValidationFailedError(f"people must be a whole number, not {people!r}")
    if people < 1:
        raise ValidationFailedError(f"people must be at least 1 (got {people:,})")
    if people > MAX_PEOPLE:
        raise ValidationFailedError(
            f"people must be at most {MAX_PEOPLE:,} (got {people:,}); "
            "larger cities are beyond what one database is sized for here"
        )
    return int(people)


def plan_hierarchy(people: int) -> HierarchyPlan:
    """Numbers of districts, subdistricts and communities for a city of `people`."""
    people = validate_people(people)
    communities = max(1, round(people / RESIDENTS_PER_COMMUNITY))
    subdistricts = max(1, round(communities / COMMUNITIES_PER_SUBDISTRICT))
    districts = max(1, round(subdistricts / SUBDISTRICTS_PER_DISTRICT))
    return HierarchyPlan(people, districts, subdistricts, communities)


def allocate(total: int, weights: NDArray[Any], minimum: int = 0) -> IntArray:
    """Split total into whole parts proportional to weights, each at least minimum."""
    w = np.asarray(weights, dtype=np.float64)
    n = len(w)
    spare = total - minimum * n
    if n == 0 or spare < 0:
        raise ValueError(f"cannot split {total} into {n} parts of at least {minimum}")
    exact = w / w.sum() * spare
    parts = np.floor(exact).astype(np.int64)
    short = spare - int(parts.sum())
    if short:
        # Largest remainders first; ties go to the earlier part.
        order = np.argsort(-(exact - parts), kind="stable")
        parts[order[:short]] += 1
    result: IntArray = parts + minimum
    return result


# ------------------------------------------------------------------ identity numbers

# GB 11643-1999 citizen identity number: 6-digit region, 8-digit birth date, 3-digit
# sequence (odd for men, even for women) and an ISO 7064 MOD 11-2 check character.
ID_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
ID_CHECK_CHARACTERS = "10X98765432"
# Region codes of the synthetic city: province 37, prefecture 99 (not a real one),
# then the district number.
ID_REGION_PREFIX = "3799"


def id_check_characters(digits: NDArray[Any]) -> NDArray[np.uint8]:
    """ASCII check characters for rows of the first 17 digits (values 0-9)."""
    digits = np.asarray(digits)
    total = np.zeros(digits.shape[0], dtype=np.int16)  # at most 9 * sum(weights) = 900
    for i, weight in enumerate(ID_WEIGHTS.tolist()):
        total += digits[:, i].astype(np.int16) * np.int16(weight)
    table = np.frombuffer(ID_CHECK_CHARACTERS.encode(), dtype=np.uint8)
    return table[total % 11]


def id_check_character(first17: str) -> str:
    """The check character of an identity number's first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError(f"expected 17 digits, got {first17!r}")
    total = sum(int(c) * int(w) for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARACTERS[total % 11]


def is_valid_id_number(id_number: str) -> bool:
    """Whether an 18-character identity number has a valid date and check character."""
    if len(id_number) != 18 or not id_number[:17].isdigit():
        return False
    try:
        date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return False
    return id_check_character(id_number[:17]) == id_number[17]


# Assumption: prefixes of Chinese mobile numbers in common use (China Mobile, Unicom,
# Telecom); the eight digits after them are synthetic.
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
    "150", "151", "152", "153", "155", "156", "157", "158", "159",
    "166", "173", "175", "176", "177", "178",
    "180", "181", "182", "183", "184", "185", "186", "187", "188", "189",
    "191", "198", "199",
)

# ------------------------------------------------------------------ names

# Common surnames with rough relative frequencies (per cent of the population).
# Approximation: the order of the first ten follows the Ministry of Public Security's
# 2020 national name report (Wang, Li, Zhang, Liu, Chen, Yang, Huang, Zhao, Wu, Zhou);
# the percentages are rounded estimates. Lü is written "Lyu" as on passports.
SURNAMES: tuple[tuple[str, str, float], ...] = (
    ("王", "Wang", 7.1), ("李", "Li", 7.0), ("张", "Zhang", 6.7), ("刘", "Liu", 5.4),
    ("陈", "Chen", 4.5), ("杨", "Yang", 3.1), ("黄", "Huang", 2.4), ("赵", "Zhao", 2.3),
    ("吴", "Wu", 2.0), ("周", "Zhou", 1.9), ("徐", "Xu", 1.7), ("孙", "Sun", 1.5),
    ("马", "Ma", 1.5), ("朱", "Zhu", 1.3), ("胡", "Hu", 1.3), ("郭", "Guo", 1.2),
    ("何", "He", 1.2), ("林", "Lin", 1.1), ("高", "Gao", 1.1), ("罗", "Luo", 1.0),
    ("郑", "Zheng", 0.9), ("梁", "Liang", 0.9), ("谢", "Xie", 0.8), ("宋", "Song", 0.8),
    ("唐", "Tang", 0.8), ("许", "Xu", 0.7), ("韩", "Han", 0.7), ("邓", "Deng", 0.7),
    ("冯", "Feng", 0.7), ("曹", "Cao", 0.6), ("彭", "Peng", 0.6), ("曾", "Zeng", 0.6),
    ("肖", "Xiao", 0.6), ("田", "Tian", 0.5), ("董", "Dong", 0.5), ("潘", "Pan", 0.5),
    ("袁", "Yuan", 0.5), ("蔡", "Cai", 0.5), ("蒋", "Jiang", 0.5), ("余", "Yu", 0.5),
    ("于", "Yu", 0.5), ("杜", "Du", 0.4), ("叶", "Ye", 0.4), ("程", "Cheng", 0.4),
    ("魏", "Wei", 0.4), ("苏", "Su", 0.4), ("吕", "Lyu", 0.4), ("丁", "Ding", 0.4),
    ("任", "Ren", 0.4), ("卢", "Lu", 0.4), ("姚", "Yao", 0.4), ("沈", "Shen", 0.4),
    ("钟", "Zhong", 0.3), ("姜", "Jiang", 0.3), ("崔", "Cui", 0.3), ("谭", "Tan", 0.3),
    ("陆", "Lu", 0.3), ("范", "Fan", 0.3), ("汪", "Wang", 0.3), ("廖", "Liao", 0.3),
    ("石", "Shi", 0.3), ("金", "Jin", 0.3), ("韦", "Wei", 0.3), ("贾", "Jia", 0.3),
    ("夏", "Xia", 0.2), ("付", "Fu", 0.2), ("方", "Fang", 0.2), ("邹", "Zou", 0.2),
    ("孔", "Kong", 0.2), ("欧阳", "Ouyang", 0.05), ("上官", "Shangguan", 0.01),
)

# Characters common in given names, with pinyin (our own lists).
GIVEN_FEMALE: tuple[tuple[str, str], ...] = (
    ("秀", "xiu"), ("英", "ying"), ("丽", "li"), ("敏", "min"), ("静", "jing"),
    ("芳", "fang"), ("娟", "juan"), ("霞", "xia"), ("婷", "ting"), ("雪", "xue"),
    ("玲", "ling"), ("梅", "mei"), ("燕", "yan"), ("红", "hong"), ("艳", "yan"),
    ("萍", "ping"), ("娜", "na"), ("慧", "hui"), ("琳", "lin"), ("欣", "xin"),
    ("怡", "yi"), ("佳", "jia"), ("雨", "yu"), ("晴", "qing"), ("悦", "yue"),
    ("梦", "meng"), ("思", "si"), ("涵", "han"), ("诗", "shi"), ("兰", "lan"),
    ("桂", "gui"), ("凤", "feng"), ("淑", "shu"), ("珍", "zhen"), ("丹", "dan"),
    ("倩", "qian"), ("颖", "ying"), ("月", "yue"), ("彤", "tong"), ("琪", "qi"),
    ("馨", "xin"), ("宁", "ning"), ("璐", "lu"), ("晓", "xiao"), ("美", "mei"),
    ("春", "chun"), ("华", "hua"), ("玉", "yu"), ("云", "yun"), ("莉", "li"),
)
GIVEN_MALE: tuple[tuple[str, str], ...] = (
    ("伟", "wei"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("勇", "yong"),
    ("杰", "jie"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("刚", "gang"),
    ("平", "ping"), ("辉", "hui"), ("鹏", "peng"), ("华", "hua"), ("飞", "fei"),
    ("鑫", "xin"), ("波", "bo"), ("斌", "bin"), ("宇", "yu"), ("浩", "hao"),
    ("凯", "kai"), ("健", "jian"), ("俊", "jun"), ("帆", "fan"), ("旭", "xu"),
    ("龙", "long"), ("林", "lin"), ("阳", "yang"), ("建", "jian"), ("国", "guo"),
    ("志", "zhi"), ("文", "wen"), ("海", "hai"), ("永", "yong"), ("晓", "xiao"),
    ("子", "zi"), ("博", "bo"), ("轩", "xuan"), ("宏", "hong"), ("峰", "feng"),
    ("亮", "liang"), ("成", "cheng"), ("东", "dong"), ("毅", "yi"), ("卫", "wei"),
    ("民", "min"), ("力", "li"), ("昊", "hao"), ("然", "ran"), ("睿", "rui"),
)
# Assumption: about three in four given names have two characters.
TWO_CHARACTER_GIVEN_NAME_SHARE = 0.75

# Syllables for place names; every one starts with a consonant so that joined pinyin
# needs no apostrophe and reads back unambiguously.
PLACE_SYLLABLES: tuple[tuple[str, str], ...] = (
    ("和", "he"), ("平", "ping"), ("新", "xin"), ("华", "hua"), ("东", "dong"),
    ("西", "xi"), ("南", "nan"), ("北", "bei"), ("中", "zhong"), ("兴", "xing"),
    ("福", "fu"), ("康", "kang"), ("泰", "tai"), ("昌", "chang"), ("盛", "sheng"),
    ("嘉", "jia"), ("文", "wen"), ("德", "de"), ("丰", "feng"), ("明", "ming"),
    ("光", "guang"), ("阳", "yang"), ("春", "chun"), ("秋", "qiu"), ("松", "song"),
    ("柏", "bai"), ("桃", "tao"), ("梅", "mei"), ("兰", "lan"), ("竹", "zhu"),
    ("清", "qing"), ("湖", "hu"), ("山", "shan"), ("林", "lin"), ("泉", "quan"),
    ("金", "jin"), ("银", "yin"), ("龙", "long"), ("宁", "ning"), ("顺", "shun"),
    ("祥", "xiang"), ("瑞", "rui"), ("成", "cheng"), ("通", "tong"), ("达", "da"),
    ("仁", "ren"), ("义", "yi"), ("礼", "li"), ("贵", "gui"), ("荣", "rong"),
    ("绣", "xiu"), ("翠", "cui"), ("碧", "bi"), ("云", "yun"), ("霞", "xia"),
    ("辰", "chen"), ("海", "hai"), ("港", "gang"), ("桥", "qiao"), ("岭", "ling"),
    ("景", "jing"), ("乐", "le"), ("博", "bo"), ("望", "wang"), ("永", "yong"),
)
CITY_SUFFIX = ("市", "")
DISTRICT_SUFFIX = ("区", " District")
SUBDISTRICT_SUFFIX = ("街道", " Subdistrict")
COMMUNITY_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("社区", " Community"), ("花园", " Garden"), ("家园", " Homes"),
    ("新村", " New Village"), ("小区", " Estate"), ("苑", " Court"),
)
NEIGHBOUR_CITIES = 4
NEIGHBOUR_DISTANCE_KM = (60.0, 250.0)
