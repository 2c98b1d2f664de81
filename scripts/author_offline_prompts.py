"""Authoring script for data/prompts/offline.jsonl: the project's own offline prompt set.

General instructions (written here) and grade-school word problems (written here from templates
with seeded numbers). Used by the embedded default when no Alpaca/GSM8K source is configured.
"""
import json
import random
from pathlib import Path

INSTRUCTIONS = """Explain why the sky looks blue during the day.
Write a short paragraph describing a busy market in the morning.
Give three tips for staying focused while studying.
Describe how a bicycle converts pedalling into motion.
Summarise the main causes of climate change in a few sentences.
Write a polite email asking a colleague to review a report.
Explain the difference between weather and climate.
List five healthy snacks and say why each is healthy.
Describe the water cycle to a ten-year-old.
Write a short story about a lost umbrella that finds its way home.
Explain what photosynthesis is.
Give advice to someone preparing for their first job interview.
Describe the rules of chess in simple terms.
Explain how vaccines help the immune system.
Write a product description for a reusable water bottle.
Explain the concept of supply and demand.
Describe a typical day in the life of a lighthouse keeper.
Give step-by-step instructions for planting a tree.
Explain why exercise is good for mental health.
Write a thank-you note to a neighbour who watered your plants.
Describe the difference between a virus and a bacterium.
Explain how a refrigerator keeps food cold.
Suggest a weekly plan for learning a new language.
Write a short poem about the sea at night.
Explain what a budget is and how to make one.
Describe three ways to reduce household waste.
Explain how the internet sends data from one computer to another.
Give tips for writing a clear and concise report.
Describe the life cycle of a butterfly.
Explain why the moon has phases.
Write a dialogue between a customer and a shop assistant about returning a jacket.
Explain what inflation means for ordinary people.
Describe how to make a cup of tea properly.
List the pros and cons of working from home.
Explain how a bill becomes a law in a parliamentary system.
Write a short review of an imaginary restaurant.
Explain the greenhouse effect.
Describe how bees make honey.
Give advice on how to resolve a conflict with a roommate.
Explain the difference between renewable and non-renewable energy.
Write instructions for making a paper aeroplane.
Describe the benefits of reading every day.
Explain how a compass works.
Write a short motivational message for a sports team before a match.
Explain what a computer algorithm is, with an example.
Describe what happens during a solar eclipse.
Give five ideas for a rainy afternoon with children.
Explain why some materials conduct electricity and others do not.
Write a letter to a future version of yourself.
Describe the main features of a desert ecosystem.
Explain how to calculate the average of a set of numbers.
Suggest ways a small town could attract more tourists.
Explain the importance of sleep for learning.
Describe how a train timetable is designed.
Write a short fable with a moral about patience.
Explain what an election is and why it matters.
Describe how to care for a pet goldfish.
Explain the difference between a simile and a metaphor, with examples.
Write a recipe for a simple vegetable soup.
Explain why leaves change colour in autumn.
Describe how a library organises its books.
Give tips for saving money on groceries.
Explain how earthquakes happen.
Write a short speech welcoming new students to a school.
Describe the job of a firefighter.
Explain what recycling is and why it helps.
Give advice for someone learning to cook.
Explain how airplanes stay in the air.
Describe a memorable festival in an imaginary country.
Explain what a spreadsheet is used for.
Write a short mystery story set on a train.
Explain how muscles grow stronger with training.
List the steps to change a light bulb safely.
Explain why it is important to drink water.
Describe how a newspaper is produced.
Give three arguments for and against school uniforms.
Explain what a volcano is and why it erupts.
Write an invitation to a community garden opening.
Explain how a savings account earns interest.
Describe the main parts of a flower and what they do.
Explain the rules of football to a beginner.
Write a short biography of an imaginary inventor.
Explain how to read a map.
Describe how clouds form.
Give advice for keeping a houseplant alive.
Explain the difference between hearing and listening.
Write a haiku about a mountain.
Explain what a museum curator does.
Describe how paper is made from trees.
Give tips for a successful first day at a new school.
Explain why we have seasons.
Write a short news report about a local bake sale.
Explain how a thermometer measures temperature.
Describe the benefits of learning to play a musical instrument.
Explain how to write a good paragraph.
Give a beginner's guide to running a 5 km race.
Explain how a dam produces electricity.
Describe the role of a referee in a game.
Write a short description of a snowy village.
Explain what teamwork means and why it matters.
Describe how to organise a small bookshelf.
Explain what causes tides in the ocean.
Give advice for writing a cover letter.
Explain how a camera captures an image.
Write a short lullaby for a baby.
Explain the basic idea of gravity.
Describe how to plan a picnic.
Explain why handwashing prevents illness.
Write a paragraph comparing cats and dogs as pets.
Explain what a calendar year is and why we have leap years.""".splitlines()

NAMES = ["Ana", "Ben", "Chloe", "Dev", "Eli", "Fatima", "George", "Hana", "Ivan", "Jade", "Kofi", "Lena", "Mateo", "Nora", "Omar", "Priya"]
TEMPLATES = [
    "{n} has {a} apples. She buys {b} more and gives away {c}. How many apples does she have now?",
    "A baker makes {a} loaves a day. How many loaves does he make in {b} days?",
    "{n} reads {a} pages every day. How many days will it take to read a book of {p} pages?",
    "A ticket costs ${a}. {n} buys {b} tickets and pays with ${m}. How much change does {n} get?",
    "There are {a} students in a class. If they form groups of {g}, how many full groups are there and how many students are left over?",
    "{n} walks {a} km on Monday, {b} km on Tuesday and {c} km on Wednesday. How far did {n} walk in total?",
    "A garden is {a} metres long and {b} metres wide. What is its area?",
    "{n} earns ${a} an hour and works {b} hours a week. How much does {n} earn in {c} weeks?",
    "A box holds {a} pencils. How many boxes are needed for {p} pencils?",
    "{n} had ${m}. {n} spent ${a} on lunch and ${b} on a book. How much money is left?",
]
rng = random.Random(20261126)
rows = [{"id": f"offline-instr-{i:03d}", "kind": "instruction", "prompt": p} for i, p in enumerate(INSTRUCTIONS, 1)]
for i in range(100):
    t = TEMPLATES[i % len(TEMPLATES)]
    a, b, c = rng.randint(3, 40), rng.randint(2, 12), rng.randint(1, 3)
    vals = dict(n=rng.choice(NAMES), a=a, b=b, c=c, g=rng.randint(3, 6), p=a * rng.randint(3, 12), m=a * b + rng.randint(5, 50))
    rows.append({"id": f"offline-math-{i + 1:03d}", "kind": "math", "prompt": t.format(**vals)})
out = Path(__file__).resolve().parent.parent / "data/prompts/offline.jsonl"
with out.open("w") as fh:
    for r in rows:
        fh.write(json.dumps(r) + "\n")
print(len(INSTRUCTIONS), "instructions,", len(rows) - len(INSTRUCTIONS), "math")
