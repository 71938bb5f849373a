"""Reference data for the synthetic sample: fake names, providers and local authorities.

Every name here is invented for the synthetic sample. Some first names and surnames
contain characters outside Windows-1252 (e.g. "Adébáyọ̀", "Łukasz"); the generator
transliterates those before writing the Windows-1252 exports.
"""

from __future__ import annotations

__all__ = [
    "FIRST_NAMES",
    "LOCAL_AUTHORITIES",
    "PROVIDERS",
    "SURNAMES",
    "TRAINING_TITLES",
    "WORKING_PAPERS",
]

FIRST_NAMES: tuple[str, ...] = (
    "Adébáyọ̀",
    "Chiamaka",
    "Oluwaseun",
    "Ngozi",
    "Chinedu",
    "Folasade",
    "Kwame",
    "Abena",
    "Kofi",
    "Akosua",
    "Yaw",
    "Efua",
    "Fatima",
    "Aisha",
    "Mohammed",
    "Yusuf",
    "Amina",
    "Hamza",
    "Zainab",
    "Bilal",
    "Nasrin",
    "Rahim",
    "Tahmina",
    "Shirin",
    "Farhana",
    "Imran",
    "Thiago",
    "João",
    "José",
    "Inês",
    "Gonçalo",
    "Letícia",
    "Zoë",
    "Chloë",
    "Renée",
    "Anaïs",
    "Zoltán",
    "Mihály",
    "Özlem",
    "Gülay",
    "Emre",
    "Ayşe",
    "Łukasz",
    "Małgorzata",
    "Agnieszka",
    "Ștefan",
    "Ioana",
    "Dragoș",
    "Yohannes",
    "Selam",
    "Tesfaye",
    "Mehari",
    "Semhar",
    "Ermal",
    "Arbër",
    "Blerina",
    "Maricel",
    "Jocelyn",
    "Rodelio",
    "Shanice",
    "Delroy",
    "Tashana",
    "Xiaoling",
    "Wei",
    "Priya",
    "Harpreet",
    "Gurpreet",
    "Anjali",
    "Nguyễn Thị",
    "Thảo",
    "Mariam",
    "Omar",
    "Leila",
    "Karim",
    "Samira",
    "Tariq",
    "Precious",
    "Temitope",
    "Babajide",
    "Oyinkansola",
    "Siobhán",
    "Eoghan",
    "Paulina",
    "Viktória",
    "Dolores",
    "Ximena",
    "Esperanza",
    "Mónica",
    "Aminata",
    "Mamadou",
    "Fatoumata",
    "Ousmane",
    "Awa",
    "Thandiwe",
    "Sibusiso",
    "Nomvula",
)

SURNAMES: tuple[str, ...] = (
    "Okonkwo",
    "Adeyemi",
    "Mensah",
    "Boateng",
    "Asante",
    "Owusu",
    "Osei",
    "Appiah",
    "Eze",
    "Nwosu",
    "Abubakar",
    "Oyèláràn",
    "Adébísí",
    "Khan",
    "Begum",
    "Rahman",
    "Hussain",
    "Uddin",
    "Akhtar",
    "Chowdhury",
    "Siddiqui",
    "da Silva",
    "dos Santos",
    "Ferreira",
    "Gonçalves",
    "Conceição",
    "Müller",
    "Nováková",
    "Kowalczyk",
    "Wiśniewska",
    "Nguyễn",
    "Trần",
    "Đặng",
    "Tesfaye",
    "Haile",
    "Kebede",
    "Gebremedhin",
    "Gashi",
    "Krasniqi",
    "Hoxha",
    "Dela Cruz",
    "Reyes",
    "Villanueva",
    "Campbell-Lewis",
    "McKenzie",
    "Yılmaz",
    "Öztürk",
    "Şahin",
    "Çelik",
    "Pérez",
    "García",
    "Hernández",
    "Popescu",
    "Ionescu",
    "Lindqvist",
    "Ó Súilleabháin",
    "Diallo",
    "Traoré",
    "Koné",
    "Ndlovu",
    "Mahlangu",
    "Dlamini",
    "Abdi",
    "Farah",
    "Warsame",
    "Ahmadi",
    "Karimi",
    "Rezaei",
    "Zhang",
    "Liu",
    "Sharma",
    "Kaur",
    "Gill",
    "Sandhu",
    "Fernández-Ruiz",
    "Petrović",
    "Horváth",
    "Kuznetsova",
    "Bianchi",
    "Esposito",
    "Achterberg",
    "Olánrewájú",
    "Quaye",
    "Agyeman",
    "Danquah",
    "Oduya",
    "Balogun",
    "Fashola",
    "Adegoke",
)

#: Accommodation providers paid under section 17 (payee name, payee postcode).
PROVIDERS: tuple[tuple[str, str], ...] = (
    ("Clapton Lodge B&B", "E5 0LX"),
    ("Homes4Good Lettings Ltd", "E8 3DL"),
    ("Mare Street Guest House", "E8 4RP"),
    ("Kingsland Rooms Ltd", "N16 8JH"),
    ("Dalston Temporary Lets", "E8 2PB"),
    ("Lea Bridge Residences", "E10 7QL"),
    ("Stamford Hill Housing Co", "N16 6RT"),
    ("Victoria Park Lettings", "E9 7HD"),
    ("Eastway Property Services", "E9 5JA"),
    ("Northwold Rentals LLP", "E5 8RN"),
    ("Homerton Family Lodgings", "E9 6SR"),
    ("Shoreditch Short Stays Ltd", "E2 8HD"),
    ("Well Street Lettings", "E9 7PX"),
    ("Amhurst Park Apartments", "N16 5AR"),
    ("Cazenove Rooms Ltd", "N16 6BJ"),
    ("Hertford Road Hostel", "N1 5SH"),
)

#: Local authorities: ONS code, council name, short name, postcode outward codes.
#: Hackney (the pilot site) comes first; then London boroughs, metropolitan
#: districts (E08), unitary authorities (E06) and county councils (E10).
_LA_TABLE = """
E09000012|London Borough of Hackney|Hackney|E5 E8 E9 N16 N1 E2
E09000001|City of London Corporation|City of London|EC1A EC2M EC4V
E09000002|London Borough of Barking and Dagenham|Barking and Dagenham|IG11 RM8 RM9 RM10
E09000003|London Borough of Barnet|Barnet|N12 NW9 EN5 HA8
E09000004|London Borough of Bexley|Bexley|DA5 DA7 DA14 DA15
E09000005|London Borough of Brent|Brent|NW10 HA9 NW2 HA0
E09000006|London Borough of Bromley|Bromley|BR1 BR2 BR3 SE20
E09000007|London Borough of Camden|Camden|NW1 NW5 NW6 WC1H
E09000008|London Borough of Croydon|Croydon|CR0 CR2 CR7 SE25
E09000009|London Borough of Ealing|Ealing|W5 W13 UB1 UB6
E09000010|London Borough of Enfield|Enfield|EN1 EN3 N9 N18
E09000011|Royal Borough of Greenwich|Greenwich|SE2 SE7 SE10 SE18
E09000013|London Borough of Hammersmith and Fulham|Hammersmith and Fulham|W6 W12 SW6
E09000014|London Borough of Haringey|Haringey|N15 N17 N22 N8
E09000015|London Borough of Harrow|Harrow|HA1 HA2 HA3
E09000016|London Borough of Havering|Havering|RM1 RM3 RM7 RM12
E09000017|London Borough of Hillingdon|Hillingdon|UB3 UB8 UB10 HA4
E09000018|London Borough of Hounslow|Hounslow|TW3 TW4 TW5 W4
E09000019|London Borough of Islington|Islington|N1 N5 N7 N19
E09000020|Royal Borough of Kensington and Chelsea|Kensington and Chelsea|W10 W11 SW5
E09000021|Royal Borough of Kingston upon Thames|Kingston upon Thames|KT1 KT2 KT6
E09000022|London Borough of Lambeth|Lambeth|SW2 SW9 SE11 SE27
E09000023|London Borough of Lewisham|Lewisham|SE4 SE6 SE13 SE14
E09000024|London Borough of Merton|Merton|SW19 SW20 CR4
E09000025|London Borough of Newham|Newham|E6 E7 E13 E15 E16
E09000026|London Borough of Redbridge|Redbridge|IG1 IG2 IG3 E18
E09000027|London Borough of Richmond upon Thames|Richmond upon Thames|TW1 TW2 TW9 SW14
E09000028|London Borough of Southwark|Southwark|SE1 SE5 SE15 SE16
E09000029|London Borough of Sutton|Sutton|SM1 SM3 SM5
E09000030|London Borough of Tower Hamlets|Tower Hamlets|E1 E3 E14
E09000031|London Borough of Waltham Forest|Waltham Forest|E4 E10 E11 E17
E09000032|London Borough of Wandsworth|Wandsworth|SW11 SW12 SW17 SW18
E09000033|Westminster City Council|Westminster|W2 W9 NW8 SW1V
E08000001|Bolton Council|Bolton|BL1 BL2 BL3
E08000002|Bury Council|Bury|BL8 BL9 M26
E08000003|Manchester City Council|Manchester|M8 M13 M14 M40
E08000004|Oldham Council|Oldham|OL1 OL4 OL8
E08000005|Rochdale Borough Council|Rochdale|OL11 OL12 OL16
E08000006|Salford City Council|Salford|M5 M6 M7
E08000007|Stockport Council|Stockport|SK1 SK3 SK5
E08000008|Tameside Council|Tameside|OL6 OL7 SK14
E08000009|Trafford Council|Trafford|M16 M32 M33
E08000010|Wigan Council|Wigan|WN1 WN2 WN5
E08000011|Knowsley Council|Knowsley|L28 L34 L36
E08000012|Liverpool City Council|Liverpool|L4 L6 L8 L15
E08000013|St Helens Council|St Helens|WA9 WA10 WA11
E08000014|Sefton Council|Sefton|L20 L21 PR8
E08000015|Wirral Council|Wirral|CH41 CH42 CH44
E08000016|Barnsley Council|Barnsley|S70 S71 S75
E08000017|City of Doncaster Council|Doncaster|DN1 DN2 DN4
E08000018|Rotherham Council|Rotherham|S60 S61 S65
E08000019|Sheffield City Council|Sheffield|S2 S3 S4 S5
E08000021|Newcastle City Council|Newcastle upon Tyne|NE1 NE4 NE6
E08000022|North Tyneside Council|North Tyneside|NE28 NE29 NE30
E08000023|South Tyneside Council|South Tyneside|NE33 NE34
E08000024|Sunderland City Council|Sunderland|SR1 SR4 SR5
E08000025|Birmingham City Council|Birmingham|B6 B8 B10 B11
E08000026|Coventry City Council|Coventry|CV1 CV2 CV6
E08000027|Dudley Council|Dudley|DY1 DY2 DY5
E08000028|Sandwell Council|Sandwell|B66 B70 B71
E08000029|Solihull Council|Solihull|B90 B91 B92
E08000030|Walsall Council|Walsall|WS1 WS2 WS3
E08000031|City of Wolverhampton Council|Wolverhampton|WV1 WV2 WV10
E08000032|Bradford Council|Bradford|BD3 BD5 BD8
E08000033|Calderdale Council|Calderdale|HX1 HX3
E08000034|Kirklees Council|Kirklees|HD1 HD2 WF13
E08000035|Leeds City Council|Leeds|LS7 LS8 LS9 LS11
E08000036|Wakefield Council|Wakefield|WF1 WF2 WF10
E08000037|Gateshead Council|Gateshead|NE8 NE9 NE10
E06000001|Hartlepool Borough Council|Hartlepool|TS24 TS25 TS26
E06000002|Middlesbrough Council|Middlesbrough|TS1 TS3 TS4
E06000003|Redcar and Cleveland Council|Redcar and Cleveland|TS10 TS6
E06000004|Stockton-on-Tees Borough Council|Stockton-on-Tees|TS18 TS19 TS20
E06000005|Darlington Borough Council|Darlington|DL1 DL3
E06000006|Halton Borough Council|Halton|WA7 WA8
E06000007|Warrington Borough Council|Warrington|WA1 WA2 WA5
E06000008|Blackburn with Darwen Council|Blackburn with Darwen|BB1 BB2
E06000009|Blackpool Council|Blackpool|FY1 FY3 FY4
E06000010|Hull City Council|Kingston upon Hull|HU3 HU5 HU9
E06000011|East Riding of Yorkshire Council|East Riding of Yorkshire|HU17 YO15 DN14
E06000012|North East Lincolnshire Council|North East Lincolnshire|DN31 DN32 DN34
E06000013|North Lincolnshire Council|North Lincolnshire|DN15 DN16 DN17
E06000014|City of York Council|York|YO10 YO24 YO31
E06000015|Derby City Council|Derby|DE1 DE22 DE23 DE24
E06000016|Leicester City Council|Leicester|LE2 LE3 LE4 LE5
E06000017|Rutland County Council|Rutland|LE15
E06000018|Nottingham City Council|Nottingham|NG3 NG5 NG7 NG8
E06000019|Herefordshire Council|Herefordshire|HR1 HR2 HR4
E06000020|Telford and Wrekin Council|Telford and Wrekin|TF1 TF2 TF3
E06000021|Stoke-on-Trent City Council|Stoke-on-Trent|ST1 ST3 ST4 ST6
E06000022|Bath and North East Somerset Council|Bath and North East Somerset|BA1 BA2
E06000023|Bristol City Council|Bristol|BS2 BS5 BS7 BS13
E06000024|North Somerset Council|North Somerset|BS23 BS24
E06000025|South Gloucestershire Council|South Gloucestershire|BS16 BS32 BS37
E06000026|Plymouth City Council|Plymouth|PL1 PL4 PL5
E06000027|Torbay Council|Torbay|TQ1 TQ2 TQ4
E06000030|Swindon Borough Council|Swindon|SN1 SN2 SN3
E06000031|Peterborough City Council|Peterborough|PE1 PE2 PE3
E06000032|Luton Borough Council|Luton|LU1 LU2 LU4
E06000033|Southend-on-Sea City Council|Southend-on-Sea|SS0 SS1 SS2
E06000034|Thurrock Council|Thurrock|RM16 RM17 RM20
E06000035|Medway Council|Medway|ME1 ME4 ME7
E06000036|Bracknell Forest Council|Bracknell Forest|RG12 RG42
E06000037|West Berkshire Council|West Berkshire|RG14 RG18
E06000038|Reading Borough Council|Reading|RG1 RG2 RG30
E06000039|Slough Borough Council|Slough|SL1 SL2 SL3
E06000040|Royal Borough of Windsor and Maidenhead|Windsor and Maidenhead|SL4 SL6
E06000041|Wokingham Borough Council|Wokingham|RG40 RG41
E06000042|Milton Keynes City Council|Milton Keynes|MK6 MK9 MK13
E06000043|Brighton and Hove City Council|Brighton and Hove|BN1 BN2 BN3
E06000044|Portsmouth City Council|Portsmouth|PO1 PO4 PO5
E06000045|Southampton City Council|Southampton|SO14 SO15 SO16
E06000046|Isle of Wight Council|Isle of Wight|PO30 PO33
E06000047|Durham County Council|County Durham|DH1 DL14 DH7
E06000049|Cheshire East Council|Cheshire East|CW1 CW2 SK11
E06000050|Cheshire West and Chester Council|Cheshire West and Chester|CH1 CH2 CW9
E06000051|Shropshire Council|Shropshire|SY1 SY3 TF9
E06000052|Cornwall Council|Cornwall|TR1 TR15 PL25
E06000054|Wiltshire Council|Wiltshire|SP1 SN14 BA14
E06000055|Bedford Borough Council|Bedford|MK40 MK41 MK42
E06000056|Central Bedfordshire Council|Central Bedfordshire|LU5 LU6 SG17
E06000057|Northumberland County Council|Northumberland|NE61 NE63 NE24
E06000058|Bournemouth, Christchurch and Poole Council|BCP|BH1 BH8 BH12
E06000059|Dorset Council|Dorset|DT1 DT4 BH20
E06000060|Buckinghamshire Council|Buckinghamshire|HP11 HP13 MK18
E06000061|North Northamptonshire Council|North Northamptonshire|NN8 NN15 NN17
E06000062|West Northamptonshire Council|West Northamptonshire|NN1 NN2 NN5
E10000003|Cambridgeshire County Council|Cambridgeshire|CB1 CB4 PE13
E10000006|Cumbria County Council|Cumbria|CA1 CA2 LA14
E10000007|Derbyshire County Council|Derbyshire|S40 DE7 SK13
E10000008|Devon County Council|Devon|EX1 EX4 EX32
E10000011|East Sussex County Council|East Sussex|BN21 TN34 BN7
E10000012|Essex County Council|Essex|CM1 CO1 SS14
E10000013|Gloucestershire County Council|Gloucestershire|GL1 GL4 GL50
E10000014|Hampshire County Council|Hampshire|SO23 GU14 RG21
E10000015|Hertfordshire County Council|Hertfordshire|AL1 SG1 WD17
E10000016|Kent County Council|Kent|ME14 CT1 DA11
E10000017|Lancashire County Council|Lancashire|PR1 BB11 LA1
E10000018|Leicestershire County Council|Leicestershire|LE11 LE65 LE10
E10000019|Lincolnshire County Council|Lincolnshire|LN1 LN2 PE21
E10000020|Norfolk County Council|Norfolk|NR1 NR3 PE30
E10000023|North Yorkshire County Council|North Yorkshire|YO11 HG1 DL7
E10000024|Nottinghamshire County Council|Nottinghamshire|NG17 NG18 S80
E10000025|Oxfordshire County Council|Oxfordshire|OX1 OX4 OX16
E10000027|Somerset County Council|Somerset|TA1 TA6 BA21
E10000028|Staffordshire County Council|Staffordshire|ST16 WS11 DE14
E10000029|Suffolk County Council|Suffolk|IP1 IP4 CB9
E10000030|Surrey County Council|Surrey|GU1 KT12 RH1
E10000031|Warwickshire County Council|Warwickshire|CV11 CV34 CV21
E10000032|West Sussex County Council|West Sussex|RH10 BN11 PO19
E10000034|Worcestershire County Council|Worcestershire|WR1 WR5 DY10
"""

#: (code, council name, short name, outward postcode districts)
LOCAL_AUTHORITIES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = tuple(
    (code, council, short, tuple(outward.split()))
    for code, council, short, outward in (
        line.split("|") for line in _LA_TABLE.strip().splitlines()
    )
)

TRAINING_TITLES: tuple[str, ...] = (
    "Introduction to NOREAM and Migrant Aware Practice",
    "Early action with families with NRPF",
    "Immigration status and section 17: a practitioner session",
    "Statutory neglect through a structural lens",
    "Running a SNAC: multi-agency case conferences",
    "Working across directorates on NRPF cases",
)

WORKING_PAPERS: tuple[str, ...] = (
    "Working paper 1: Early action for families with no recourse to public funds",
    "Working paper 2: Structural neglect and the statutory threshold",
    "Working paper 3: Migrant Aware Practice across council directorates",
)
