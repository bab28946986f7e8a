import pytest

from agents.planning.llm import LLMPlanner
from tests.doubles import make_ctx
from userops.errors import UsageError
from userops.llm import chat_model
from userops.settings import Settings


def test_no_model_configured_means_offline(sqlite_engine):
    assert chat_model(Settings()) is None
    with pytest.raises(UsageError):
        LLMPlanner(make_ctx(sqlite_engine))


def test_chat_openai_for_compatible_servers():
    m = chat_model(Settings(llm_model="deepseek-chat", llm_base_url="https://api.example.com/v1"))
    assert m.use_responses_api is False
    assert m.max_retries == 2
    assert m.openai_api_base == "https://api.example.com/v1"


def test_real_model_calls_fail_in_tests():
    from langchain_openai import ChatOpenAI

    m = ChatOpenAI(model="x", base_url="https://api.example.com/v1", api_key="k", max_retries=0)
    with pytest.raises(Exception) as info:
        m.invoke("hi")
    text = repr(info.value) + repr(info.value.__cause__) + repr(info.value.__context__)
    assert "RealNetworkCall" in text or "Connection" in text
