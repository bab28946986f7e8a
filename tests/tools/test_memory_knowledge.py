from sqlalchemy import text

from tests.doubles import local_chroma, tiny_embedding
from tools.knowledge import KnowledgeBase, knowledge_chunks
from tools.memory import LessonMemory
from userops.store.models import Lesson


def test_lessons_are_recorded_redacted_and_found(sqlite_engine, tmp_path):
    mem = LessonMemory(sqlite_engine, local_chroma(tmp_path / "c"), tiny_embedding())
    mem.add(
        "SMS win-back to high value users converted better with a tutorial angle",
        objective="win_back",
        language="en",
        campaign_id="c1",
    )
    mem.add("推送的新人礼在晚上打开率低，联系 13800138000", objective="onboarding", language="zh")
    hits = mem.search("win-back tutorial sms", k=1)
    assert hits[0].campaign_id == "c1" and hits[0].objective == "win_back"
    assert mem.search("新人礼", k=5, objective="onboarding")[0].objective == "onboarding"
    with sqlite_engine.connect() as conn:
        texts = [r.text for r in conn.execute(Lesson.__table__.select())]
    assert len(texts) == 2 and all("13800138000" not in t for t in texts)


def test_reindex_rebuilds_from_table(sqlite_engine, tmp_path):
    LessonMemory(sqlite_engine, local_chroma(tmp_path / "a"), tiny_embedding()).add(
        "email beats sms for surveys", objective="survey_feedback", language="en"
    )
    fresh = LessonMemory(sqlite_engine, local_chroma(tmp_path / "b"), tiny_embedding())
    assert fresh.search("surveys") == []
    assert fresh.reindex() == 1
    assert fresh.search("surveys")[0].text == "email beats sms for surveys"


def test_knowledge_retrieval_by_language(tmp_path):
    kb = KnowledgeBase(local_chroma(tmp_path / "k"), tiny_embedding())
    zh = kb.retrieve("配送延误 补偿", "zh", k=2)
    en = kb.retrieve("late delivery coupon", "en", k=2)
    assert len(zh) == 2 and len(en) == 2
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in zh)
    assert any("deliver" in t.lower() for t in en)
    assert {c[1] for c in knowledge_chunks()} == {"zh", "en"}


def test_offline_planner_quotes_past_lessons(sqlite_engine, tmp_path):
    from agents.goal.parser import parse_goal
    from agents.planning.offline import OfflinePlanner
    from tests.doubles import make_ctx, populate

    populate(sqlite_engine, 60)
    mem = LessonMemory(sqlite_engine, local_chroma(tmp_path / "m"), tiny_embedding())
    mem.add("Push at lunch time doubled clicks", objective="win_back", language="en")
    mem.add("Surveys by email got more replies", objective="survey_feedback", language="en")
    plan = OfflinePlanner(make_ctx(sqlite_engine, memory=mem)).plan(
        parse_goal("Win back churned users"), [], None
    )
    assert "Push at lunch time doubled clicks" in plan.rationale
    assert "Surveys" not in plan.rationale


def test_llm_tools_list_past_campaigns_and_lessons(sqlite_engine, tmp_path):
    from tests.doubles import make_ctx
    from tools.registry import make_tools

    mem = LessonMemory(sqlite_engine, local_chroma(tmp_path / "m"), tiny_embedding())
    mem.add("Email beats SMS for surveys", objective="survey_feedback", language="en")
    tools = {t.name: t for t in make_tools(make_ctx(sqlite_engine, memory=mem))}
    assert "Email beats SMS" in tools["past_lessons"].invoke({"query": "survey"})
    assert tools["past_campaigns"].invoke({}) == "<untrusted_data>[]</untrusted_data>"
    assert "<untrusted_data>" in tools["past_lessons"].invoke({"query": "survey"})


def test_llm_content_prompts_carry_retrieved_knowledge(sqlite_engine, tmp_path):
    from agents.goal.parser import parse_goal
    from agents.planning.common import personas_of
    from agents.planning.llm import LLMPlanner, PlanDraft
    from tests.doubles import ScriptedChatModel, make_ctx, populate
    from tools.content_llm import ContentDraft
    from tools.segments import audience_stats

    populate(sqlite_engine, 60)
    with sqlite_engine.begin() as conn:  # an English-reading population: English copy
        conn.execute(text("UPDATE traits SET language = 'en'"))
    kb = KnowledgeBase(local_chroma(tmp_path / "k"), tiny_embedding())
    ctx = make_ctx(sqlite_engine, knowledge=kb)
    goal = parse_goal("Win back churned users by email only")
    n = len(personas_of(audience_stats(ctx, ctx.segment_ids(goal.audience))))
    draft = ContentDraft(headline="Hi {name}", angle="We miss you", cta="Come back")
    model = ScriptedChatModel(steps=["ok", PlanDraft(name="wb", channels=["email"]), *[draft] * n])
    LLMPlanner(ctx, model).plan(goal, [], None)
    model.assert_all_used()
    content_prompt = model.calls[2][0].content
    assert "Brand guide and product knowledge" in content_prompt
    paragraphs = [c[2] for c in knowledge_chunks() if c[1] == "en"]
    assert any(p in content_prompt for p in paragraphs)
