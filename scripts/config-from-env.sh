#!/usr/bin/env bash
# Prints a Bifrost config.json with one provider for each *_API_KEY variable that is set:
# OPENAI_API_KEY, GROQ_API_KEY, MISTRAL_API_KEY, OPENROUTER_API_KEY, CEREBRAS_API_KEY,
# DEEPSEEK_API_KEY, XAI_API_KEY, TOGETHER_API_KEY, FIREWORKS_API_KEY, PERPLEXITY_API_KEY.
# Keys stay in the environment: the config names them as "env.VAR".
set -euo pipefail
first=1
printf '{\n  "providers": {\n'
for p in openai groq mistral openrouter cerebras deepseek xai together fireworks perplexity; do
  var="$(echo "$p" | tr '[:lower:]' '[:upper:]')_API_KEY"
  if [ -n "${!var:-}" ]; then
    [ $first -eq 1 ] || printf ',\n'
    first=0
    printf '    "%s": { "keys": [{ "name": "env", "value": "env.%s", "models": ["*"], "weight": 1 }] }' "$p" "$var"
  fi
done
printf '\n  }\n}\n'
if [ $first -eq 1 ]; then
  echo "config-from-env: no *_API_KEY variable is set; set one (e.g. OPENAI_API_KEY) or pass CONFIG=file" >&2
  exit 1
fi
