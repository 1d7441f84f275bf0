"""Word lists the generator draws from (names with their nicknames, companies, titles, places)."""

from __future__ import annotations

NICKNAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby"), "William": ("Bill", "Will"), "Elizabeth": ("Liz", "Beth"),
    "James": ("Jim", "Jimmy"), "Michael": ("Mike",), "Jennifer": ("Jen", "Jenny"), "Katherine": ("Kate", "Kathy"),
    "Richard": ("Rick", "Rich"), "Thomas": ("Tom",), "Christopher": ("Chris",), "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt",), "Joseph": ("Joe",), "Anthony": ("Tony",), "Patricia": ("Pat", "Patty"),
    "Steven": ("Steve",), "Andrew": ("Andy", "Drew"), "Alexander": ("Alex",), "Samantha": ("Sam",),
    "Jonathan": ("Jon",), "Nicholas": ("Nick",), "Benjamin": ("Ben",), "Rebecca": ("Becky",),
    "Susan": ("Sue",), "Edward": ("Ed", "Ted"), "Charles": ("Charlie", "Chuck"), "David": ("Dave",),
    "Margaret": ("Maggie", "Meg"), "Timothy": ("Tim",), "Jessica": ("Jess",),
}  # fmt: skip

PLAIN_FIRST_NAMES: tuple[str, ...] = (
    "Priya", "Wei", "Carlos", "Fatima", "Olga", "Hiroshi", "Aisha", "Lars", "Sofia", "Mateo", "Ananya", "Kwame",
    "Chloe", "Noah", "Emma", "Liam", "Ava", "Lucas", "Mia", "Ethan", "Ingrid", "Rahul", "Yuki", "Diego", "Amara",
    "Sven", "Leila", "Omar", "Nina", "Tariq", "Grace", "Henrik", "Zara", "Felix", "Maya", "Arjun", "Elena",
    "Jakob", "Sara", "Kenji",
)  # fmt: skip

LAST_NAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker",
    "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams",
    "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Patel", "Sharma", "Kumar",
    "Singh", "Chen", "Wang", "Li", "Zhang", "Liu", "Yamamoto", "Tanaka", "Suzuki", "Muller", "Schmidt",
    "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann", "Schulz", "Koch", "Richter",
    "Klein", "Wolf", "Novak", "Kowalski", "Nowak", "Jensen", "Hansen", "Larsen", "Andersen", "Nielsen",
    "Johansson", "Karlsson", "Nilsson", "Eriksson", "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi",
    "Romano", "Costa", "Silva", "Santos", "Oliveira", "Pereira", "Okafor", "Mensah", "Diallo", "Haddad",
    "Khan", "Ali", "Hussain", "Cohen", "Levi", "Murphy", "Kelly", "O'Brien", "Ryan", "Walsh", "McCarthy",
    "Byrne", "Fitzgerald", "MacDonald", "Stewart", "Morrison", "Fraser", "Reid", "Kerr", "Duncan", "Grant",
    "Dubois", "Moreau", "Laurent", "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "Fournier", "Girard",
    "Bergstrom", "Lindqvist", "Virtanen", "Korhonen", "Ivanov", "Petrov", "Popescu", "Horvath", "Nagy",
    "Kaplan", "Yilmaz", "Demir", "Sahin", "Celik", "Kaya", "Park", "Kim", "Choi", "Jung", "Kang", "Cho",
    "Tran", "Pham", "Hoang", "Vo", "Dang", "Bui", "Do", "Ho", "Ngo", "Duong", "Ly",
)  # fmt: skip

COMPANY_WORDS_A: tuple[str, ...] = (
    "Acme", "Blue", "Bright", "Cedar", "Clear", "Delta", "Eagle", "Ever", "First", "Granite", "Green", "Harbor",
    "Iron", "Keystone", "Lumen", "Maple", "Nova", "Oak", "Orbit", "Peak", "Pine", "Prime", "Quantum", "Red",
    "River", "Silver", "Solar", "Summit", "True", "Vertex", "Vista", "Wave", "Zen", "Atlas", "Beacon", "Cobalt",
)  # fmt: skip
COMPANY_WORDS_B: tuple[str, ...] = (
    "Analytics", "Systems", "Labs", "Robotics", "Logistics", "Health", "Software", "Networks", "Capital",
    "Foods", "Energy", "Media", "Dynamics", "Works", "Cloud", "Security", "Bio", "Data", "Devices", "Partners",
)  # fmt: skip
LEGAL_SUFFIXES: tuple[str, ...] = ("Inc.", "Inc", ", Inc.", "LLC", "Ltd", "Corp.", "Corporation", "GmbH", "Co.")
INDUSTRIES: tuple[str, ...] = (
    "information technology & services", "computer software", "financial services", "hospital & health care",
    "logistics & supply chain", "marketing & advertising", "renewables & environment", "food & beverages",
)  # fmt: skip
TECHNOLOGIES: tuple[str, ...] = ("Salesforce", "HubSpot", "Zoho CRM", "AWS", "Google Analytics", "Slack", "Shopify")

# Each role: the wording Apollo shows, then the wordings other sources use, then Apollo seniority/department.
TITLES: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    ("VP of Sales", ("Vice President, Sales", "VP Sales", "VP, Sales"), "vp", "Sales"),
    ("Head of Marketing", ("Marketing Head", "Head, Marketing"), "head", "Marketing"),
    ("Chief Technology Officer", ("CTO", "Chief Technical Officer"), "c_suite", "Engineering & Technical"),
    ("Director of Engineering", ("Engineering Director", "Director, Engineering"), "director",
     "Engineering & Technical"),
    ("Chief Executive Officer", ("CEO", "CEO & Founder"), "c_suite", "C-Suite"),
    ("Marketing Manager", ("Manager, Marketing", "Mktg Manager"), "manager", "Marketing"),
    ("Sales Director", ("Director of Sales", "Director, Sales"), "director", "Sales"),
    ("Head of Operations", ("Operations Head", "Head, Operations"), "head", "Operations"),
    ("Chief Financial Officer", ("CFO",), "c_suite", "Finance"),
    ("Senior Software Engineer", ("Sr. Software Engineer", "Software Engineer III"), "senior",
     "Engineering & Technical"),
    ("Account Executive", ("Senior Account Executive", "AE"), "senior", "Sales"),
    ("Product Manager", ("Product Owner", "PM"), "manager", "Product Management"),
    ("HR Director", ("Director of People", "Director, Human Resources"), "director", "Human Resources"),
    ("Customer Success Manager", ("CSM", "Manager, Customer Success"), "manager", "Support"),
)  # fmt: skip

PLACES: dict[str, tuple[tuple[str, str], ...]] = {
    "United States": (("San Francisco", "California"), ("New York", "New York"), ("Austin", "Texas"),
                      ("Chicago", "Illinois"), ("Boston", "Massachusetts"), ("Seattle", "Washington")),
    "United Kingdom": (("London", "England"), ("Manchester", "England"), ("Edinburgh", "Scotland")),
    "Germany": (("Berlin", "Berlin"), ("Munich", "Bavaria"), ("Hamburg", "Hamburg")),
    "India": (("Bengaluru", "Karnataka"), ("Mumbai", "Maharashtra"), ("New Delhi", "Delhi")),
}  # fmt: skip
COUNTRY_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("United States", 0.6), ("United Kingdom", 0.15), ("Germany", 0.1), ("India", 0.15),
)  # fmt: skip
PHONE_PREFIX: dict[str, str] = {"United States": "+1", "United Kingdom": "+44", "Germany": "+49", "India": "+91"}
CREDENTIALS: tuple[str, ...] = ("MBA", "PhD", "CPA", "PMP", "CFA")
EMOJIS: tuple[str, ...] = ("🚀", "✨", "📈")
