"""What the web pages show, read from the store and the loop (no HTML here).

``threads``: a person's thread history; ``inbox``: approvals and journey versions awaiting a
decision; ``card``: an approval card arranged for reading and the edit form; ``results``:
campaign results over time, per channel and per variant; ``charts``: server-rendered SVG;
``journey_graph``: a journey spec laid out as boxes and arrows.
"""
