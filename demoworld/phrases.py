"""Words the posts are made of: templates per rule outcome, topic lines, replies.

Templates use placeholders that ``text._fill`` expands: ``{P}`` the product (brand,
generic, hashtag or misspelt), ``{cond}`` an approved condition, ``{off}`` an
unapproved one, ``{benefit}``, ``{risk}``, ``{pi}`` (link to the full prescribing
information), ``{dose}``, ``{event}`` (label, FAERS or PsyTAR wording), ``{label_event}``
(label wording only), ``{pevent}`` (PsyTAR, first person), ``{age}``, ``{n}``,
``{payer}``/``{payer_at}`` (the manufacturer, as text or as a mention), ``{code}`` (a
promo code), ``{wall}`` (a wall of hashtags), ``{Brand}``, ``{generic}``.
"""

from __future__ import annotations

TEMPLATES = {
    "neutral": (
        "Journal club tonight: {P} dosing in older adults with kidney disease.",
        "Prior auth for {P} finally approved after three weeks of calls 🙄",
        "Reviewing {P} interactions with our residents this morning.",
        "Long talk with a patient today about {P}, cost and what insurance covers.",
        "Pharmacy says {P} is back in stock at our site.",
        "Med rec pearl: double-check the {P} dose after every admission.",
        "Updated our clinic protocol for starting {P} in {cond}.",
        "Teaching point from rounds: how we monitor patients on {P} for {cond}.",
    ),
    "benefit_risk": (
        "{P} {benefit}. {risk}",
        "Clinic update: {P} {benefit}. {risk} Full PI: {pi}",
        "{P} {benefit}. {risk}",
    ),
    "benefit_no_risk": (
        "{P} {benefit}.",
        "Honestly, {P} {benefit}.",
        "Another good month: {P} {benefit} 👍",
    ),
    "off_label_use": (
        "Started {P} {dose} for {off} in a 58-year-old today.",
        "We use {P} for {off} in selected patients at our center.",
        "Our protocol now includes {P} for {off}.",
        "{P} for {off}: we start at {dose} and reassess at 3 months.",
    ),
    "off_label_benefit": (
        "{P} has helped several of my patients with {off}.",
        "Seeing real improvement with {P} in {off}. Worth trying.",
        "{P} worked well for my patient with {off}.",
    ),
    "overstatement": (
        "{P} is a miracle for {cond}.",
        "{P} basically cures {cond}. Game changer.",
        "{P}: 100% effective in my {cond} patients, zero side effects.",
        "{P} is completely safe. I put every {cond} patient on it.",
        "No side effects with {P} in my practice, ever. Nothing beats it for {cond}.",
        "{P} is far better than any other {drug_class} for {cond}, no contest.",
    ),
    "adverse_event": (
        "My patient, {age}, on {P} {dose} for {cond} developed {event} after {n} weeks. "
        "Holding it and reporting to MedWatch.",
        "{age} on {P} for {cond} came in today with {event}. Reported to FDA.",
        "Case from clinic: {age}, started {P} for {cond}; {n} weeks later {event}.",
        "Saw {event} in my patient ({age}) two months into {P} for {cond}.",
    ),
    "negated_off_label": (
        "There is no good evidence that {P} helps {off}. Please don't use it for that.",
        "{P} is not approved for {off}; stick to the label.",
        "Reminder: {P} is not indicated for {off}.",
    ),
    "negated_efficacy": (
        "{P} is not a cure for {cond}, but it has a role in treatment. {risk}",
        "No drug is 100% effective or completely safe, {P} included. {risk}",
        "Patients ask if {P} is a miracle drug for {cond}. It isn't. {risk}",
    ),
    "ae_lookalike": (
        "Reminder: {label_event} is listed in the {P} label. Counsel patients before starting.",
        "If a patient on {P} reports {label_event}, check in early.",
        "My patient, {age}, on {P} for {cond}: one-year follow-up, denies any {event}, "
        "dose unchanged.",
    ),
    "ask_doctor": (
        "Thinking about {P}? Ask your doctor about the risks and benefits.",
        "Questions about {P}? Talk to your doctor about side effects and whether it fits you.",
    ),
    "sponsored_undisclosed": (
        "Thanks {payer_at} for having me at the {P} advisory board this week! "
        "{P} {benefit}. {risk}",
        "Loved speaking at the {payer} dinner about {P} last night 🙌 {P} {benefit}. "
        "{risk} #partner",
        "Use code {code} for the {P} savings program 👉 {P} {benefit}. {risk}",
    ),
    "sponsored_disclosed": (
        "#ad Paid partnership with {payer}. {P} {benefit}. {risk} {pi}",
        "Sponsored by {payer}: {P} {benefit}. {risk}",
        "#sponsored I'm a paid speaker for {payer}. {P} {benefit}. {risk}",
    ),
    "sponsored_buried": ("{P} {benefit}. {risk} {wall} #ad",),
    "coi_plain": ("{P} {benefit}. {risk}", "Clinic update: {P} {benefit}. {risk}"),
    "coi_disclosed": (
        "Disclosure: I consult for {payer}. {P} {benefit}. {risk}",
        "Disclosure: paid speaker for {payer}. {P} {benefit}. {risk}",
    ),
    "patient_neutral": (
        "Injection day. {P} done 💉",
        "Refilled my {P} today, copay went up again 😩",
        "Day 30 on {P} for my {cond}.",
        "Insurance finally approved my {P}!",
        "My doctor switched me to {P} this week.",
    ),
    "patient_ae": (
        "Been on {P} for {n} weeks and I've had {pevent} every day.",
        "Started {P} last month and now I have {pevent}. Calling my doctor tomorrow.",
        "Since I started {P} I get {pevent} all the time. Anyone else?",
    ),
    "patient_ask": (
        "Asked my doctor about {P} side effects today, good conversation.",
        "Reading the {P} medication guide before my appointment.",
    ),
    "brand_isi": (
        "{Brand} ({generic}) is indicated for {cond}. {risk} Full Prescribing "
        "Information: {pi}",
        "Living with {cond}? Ask your doctor if {Brand} is right for you. {risk} {pi}",
    ),
    "news_product": (
        "FDA posts updated {Brand} ({generic}) labeling with new safety information.",
        "Insurers announce coverage changes for {Brand} next year.",
        "New study on {generic} adherence presented at this week's congress.",
    ),
}

TOPIC = {
    "cardio": (
        "Grand rounds today on HFpEF. SGLT2 inhibitors are changing the conversation.",
        "A normal troponin doesn't rule out everything. Listen to the story.",
        "Echo of the day: severe MR, beautifully visualized. Teaching file material.",
        "Lipid clinic pearl: recheck a fasting panel before you escalate therapy.",
        "Home BP cuffs are only as good as the technique. Teach it.",
        "Ablation vs rate control: our heart team discussed three cases today.",
        "Cardiac rehab referral rates are still too low. What works in your clinic?",
        "New thread on hypertension targets coming tomorrow. Bring questions.",
    ),
    "rheum": (
        "Joint injection clinic all morning. Ultrasound guidance makes such a difference.",
        "Morning stiffness over an hour is still the most useful question in inflammatory arthritis.",
        "Methotrexate counseling checklist I give every new patient: labs, folic acid, alcohol.",
        "Gout flares spike after the holidays, every year.",
        "Teaching residents the MSK exam today. Hands on, always.",
        "Vaccines before biologics: our clinic checklist, updated.",
    ),
    "primary": (
        "Flu shot clinic ran smoothly today, 120 patients vaccinated.",
        "Prior authorizations ate my lunch break again.",
        "Colorectal screening at 45: are your patients getting the message?",
        "Spent 20 minutes on a med rec that probably saved a hospitalization. Worth it.",
        "Annual physicals are really about the conversation, not the checklist.",
        "Team huddles before clinic changed how our day runs.",
    ),
    "endo": (
        "A1c isn't everything, but it's a start.",
        "Thyroid nodules: most are benign, all deserve a good ultrasound.",
        "CGM data review with a patient today. Time in range is a great teaching tool.",
        "Lipids and diabetes clinic combined this week. Lots of overlap.",
    ),
    "hemonc": (
        "Tumor board today: three tough cases, one great discussion.",
        "Iron deficiency is underdiagnosed. Check ferritin.",
        "Anticoagulation clinic pearls thread coming this weekend.",
        "Survivorship care plans deserve more attention than they get.",
    ),
    "gi": (
        "IBD clinic: the move from pediatric to adult care needs more structure.",
        "Colonoscopy prep questions are 80% of my portal messages.",
        "Endoscopy day. Quality metrics matter more than speed.",
    ),
    "derm": (
        "Skin check reminder: learn your ABCDEs.",
        "Sunscreen is a daily habit, not a vacation habit.",
        "Biopsy results day. Mostly good news.",
    ),
    "pharm": (
        "Drug interaction check saved a patient from a nasty surprise today.",
        "Vaccine clinic at the pharmacy tomorrow, walk-ins welcome.",
        "Shortage update: we're working through alternatives with prescribers.",
        "Deprescribing conversations are some of the most valuable ones we have.",
    ),
    "np": (
        "Long clinic day but patients were wonderful.",
        "Precepting NP students this semester. They ask the best questions.",
        "Chronic care visits are where relationships are built.",
    ),
    "other": (
        "Busy clinic today. Grateful for a great team.",
        "Continuing education weekend. Learned a lot.",
        "Documentation burden is real. Looking for better workflows.",
    ),
}
OFFTOPIC = (
    "Coffee number three of the day ☕",
    "Marathon training week 6 done 🏃",
    "Kids' soccer game in the rain. Worth it.",
    "Best tacos near the hospital? Asking for a friend.",
    "Reading a great novel on call tonight 📚",
    "Finally took a vacation day. The garden thanks me 🌱",
)
AMPLIFIED = (
    "Success is a mindset. Show up every day 💪",
    "Your health is your wealth. Start today.",
    "5 habits every doctor swears by (thread) 🧵",
    "Grateful for 10K amazing followers! 🙏",
    "Big announcement coming soon 👀",
)
WELLNESS = (
    "5 morning habits for heart health 💪",
    "Hydration check! Drink your water today 💧",
    "Green smoothie recipe in my bio 🥬",
    "Self-care Sunday: walk, stretch, breathe ✨",
    "My favourite anti-inflammatory foods, ranked 🍓",
)
PATIENT_CHATTER = (
    "Finally got my flu shot.",
    "Three-hour wait at urgent care today 😩",
    "Walked 10,000 steps for the first time this month!",
    "Grateful for my nurse today. She was amazing.",
    "Anyone have tips for remembering pills on vacation?",
    "New glasses, new me 👓",
    "Physical therapy is hard work but it's helping.",
)
NEWS = (
    "CDC: flu activity rising in several states this week.",
    "Hospitals report staffing shortages heading into winter.",
    "New guideline on blood pressure targets released.",
    "Study links walking pace to heart health in older adults.",
    "Medicare announces changes to telehealth coverage.",
)
BRAND_GENERIC = (
    "Proud to support Heart Month ❤️ Learn the signs of heart disease.",
    "Our teams are volunteering in communities across the country this week.",
    "Patient support programs are here to help. Talk to your care team.",
)
BOT = (
    "Follow back 💯",
    "Best health deals today only 👉🔥",
    "Wow amazing content!!!",
    "Check my profile for more 🔥🔥",
    "Daily motivation 💪💪",
)
REPLIES_CLINICIAN = (
    "Great point. We see the same in our clinic.",
    "How do you handle this in older patients?",
    "Thanks for sharing, adding this to journal club.",
    "Agree. The data here are still evolving.",
    "Really helpful thread, saving it for our residents.",
    "We changed our protocol last year for exactly this reason.",
    "Any thoughts on follow-up intervals?",
)
REPLIES_AUTHOR = (
    "Good question: we recheck at 3 months and individualize from there.",
    "Thanks! Happy to share our protocol, DM me.",
    "Exactly. Shared decision-making is the key.",
    "Great to hear it matches your experience.",
    "We do the same. Documentation matters.",
)
REPLIES_PATIENT = (
    "Thank you, this is so helpful!",
    "My mom went through this too.",
    "Wish more doctors explained it like this.",
)
REPLIES_BOT = ("🔥🔥🔥", "So true!!", "Great insight doc 👏", "Amazing!!!", "💯💯")
QUOTES = (
    "Worth a read 👇",
    "Important thread for trainees.",
    "This. 💯",
    "Sharing with our team.",
)
TAGS_GENERIC = {
    "cardio": ("cardiology", "CardioSky", "MedSky"),
    "rheum": ("rheumatology", "RheumSky", "MedSky"),
    "primary": ("MedSky", "primarycare", "FamilyMedicine"),
    "endo": ("endocrinology", "EndoSky", "MedSky"),
    "hemonc": ("hematology", "oncology", "OncSky"),
    "gi": ("gastroenterology", "GISky", "MedSky"),
    "derm": ("dermatology", "DermSky", "MedSky"),
    "pharm": ("pharmacy", "PharmSky", "MedicationSafety"),
    "np": ("NursePractitioner", "NPsky", "primarycare"),
    "other": ("MedSky", "healthcare"),
}
TAGS_TOPIC = {
    "cardio": ("AFib", "lipids", "HeartFailure", "hypertension"),
    "rheum": ("autoimmune", "gout", "arthritis"),
    "primary": ("prevention", "vaccines"),
    "endo": ("diabetes", "thyroid"),
    "hemonc": ("thrombosis", "cancer"),
    "gi": ("IBD", "colonoscopy"),
    "derm": ("skincancer", "psoriasis"),
    "pharm": ("deprescribing", "vaccines"),
    "np": ("NPlife",),
    "other": ("health",),
}
WALL = ("MedSky", "health", "doctor", "wellness", "healthcare", "medicine", "pharma")
EMOJI = (" 🩺", " 💊", " ❤️", " 🙌", " ✅", "")
AGES = ("67F", "54M", "72M", "45F", "81F", "59M", "38F", "66M")
