import pandas as pd

import ecom_pipeline  # noqa: F401  (importing the package turns Arrow strings on)


def test_text_is_arrow_backed_and_two_empty_text_keys_join():
    """pandas 2.3 raises joining two empty Arrow string keys that hold no chunk (what `.str` on an empty column gives)."""
    assert pd.Series(["x"], dtype="string").dtype.storage == "pyarrow"
    left = pd.DataFrame({"name": pd.Series(["#1"], dtype="string")}).iloc[0:0]
    right = pd.DataFrame({"name": pd.Series(["1"], dtype="string"), "cost": [2.5]}).iloc[0:0]
    left = left.assign(name=left["name"].str.lstrip("#"))
    right = right.assign(name=right["name"].str.lstrip("#")).set_index("name")
    assert left["name"].array._pa_array.num_chunks == 0  # the case itself
    joined = left.join(right, on="name")
    assert joined.empty and list(joined.columns) == ["name", "cost"]
