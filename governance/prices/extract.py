#!/usr/bin/env python3
"""Extracts litellm.json from litellm's model_prices_and_context_window.json.

Usage: python3 extract.py model_prices_and_context_window.json > litellm.json

Keeps the chat, completion and embedding models of the providers in specs/ (litellm's
provider names mapped to Bifrost's), in USD per million tokens, rounded to 1e-6 USD.
"""
import json
import sys

PROVIDERS = {
    "openai": "openai", "text-completion-openai": "openai", "anthropic": "anthropic",
    "azure": "azure", "azure_text": "azure", "bedrock": "bedrock", "bedrock_converse": "bedrock",
    "cerebras": "cerebras", "cohere": "cohere", "cohere_chat": "cohere", "deepseek": "deepseek",
    "fireworks_ai": "fireworks", "gemini": "gemini", "groq": "groq", "mistral": "mistral",
    "openrouter": "openrouter", "perplexity": "perplexity", "together_ai": "together",
    "vertex_ai-language-models": "vertex", "vertex_ai-anthropic_models": "vertex",
    "vertex_ai-embedding-models": "vertex", "xai": "xai",
}
PREFIXES = ["azure_text/", "azure/", "bedrock/", "bedrock_converse/", "cerebras/", "cohere/",
            "cohere_chat/", "deepseek/", "fireworks_ai/", "gemini/", "groq/", "mistral/",
            "openrouter/", "perplexity/", "together_ai/", "vertex_ai/", "xai/", "anthropic/",
            "openai/", "text-completion-openai/"]


def per_million(v):
    return round(float(v) * 1e6, 6)


def main():
    src = json.load(open(sys.argv[1]))
    out = {}
    for name, e in sorted(src.items()):
        if not isinstance(e, dict) or e.get("mode") not in ("chat", "completion", "embedding"):
            continue
        prov = PROVIDERS.get(e.get("litellm_provider", ""))
        if prov is None or "input_cost_per_token" not in e:
            continue
        model = name
        for p in PREFIXES:
            if model.startswith(p):
                model = model[len(p):]
                break
        if "/" in model and prov in ("bedrock",):
            continue  # region- or commitment-specific entries
        price = {"input": per_million(e["input_cost_per_token"])}
        if e.get("output_cost_per_token") is not None:
            price["output"] = per_million(e["output_cost_per_token"])
        if e.get("cache_read_input_token_cost") is not None:
            price["cached_input"] = per_million(e["cache_read_input_token_cost"])
        out.setdefault(prov + "/" + model, price)
    json.dump({
        "source": "litellm model_prices_and_context_window.json (litellm 1.74.0 wheel from PyPI, "
                  "litellm/model_prices_and_context_window_backup.json), extracted by extract.py",
        "date": "2026-12-04",
        "unit": "USD per million tokens",
        "models": out,
    }, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
