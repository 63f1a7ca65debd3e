"""The dimensions of a model shape's config.json (GPT-2 or Llama-family keys), for the shape benchmarks' arithmetic."""
import json


def dims(folder):
    c = json.load(open(folder + "/config.json"))
    d = c.get("hidden_size") or c["n_embd"]
    h = c.get("num_attention_heads") or c["n_head"]
    return {
        "d": d,
        "heads": h,
        "kv_heads": c.get("num_key_value_heads") or h,
        "d_head": c.get("head_dim") or d // h,
        "mlp": c.get("intermediate_size") or c.get("n_inner") or 4 * d,
        "layers": c.get("num_hidden_layers") or c["n_layer"],
        "vocab": c["vocab_size"],
        "gated": "n_embd" not in c,  # GPT-2's MLP has two matrices, the others three
    }
