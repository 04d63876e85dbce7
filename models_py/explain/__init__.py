"""Why a customer is in their segment: surrogate, SHAP, per-customer reasons, readable rules.

Every function reads the fitted segmentation (``fct_segment_preprocessing``,
``fct_segment_centroids``) and its assignment (``fct_customer_segments``); nothing here refits
the segmentation. Module -> mart (grain):

- :mod:`.reasons` -> ``fct_customer_explanations`` (customer x rank): the top reasons of every
  customer by an exact decomposition of the distance to the own segment's centre against the
  nearest other centre, vectorised (cheap at a million rows);
- :mod:`.shap_values` -> ``fct_segment_shap_sample`` (sample customer x explained segment x
  feature): SHAP values of the surrogate on a stratified seeded sample, additivity checked;
  ``fct_segment_feature_importance`` aggregates it in SQL;
- :mod:`.rules` -> ``fct_segment_rules`` (segment x rule): a shallow one-vs-rest decision tree
  per segment, its leaves as text in the features' own units;
- :mod:`.quality` -> ``fct_explanation_quality`` (metric x segment): surrogate fidelity, SHAP
  additivity, agreement of the top reason with SHAP's top feature, rule fidelity.

:mod:`.surrogate` fits the classifier SHAP explains (a random forest that predicts the segment
from the model-space features); :mod:`.inputs` gathers the frames every step reads;
:mod:`.sampling` draws the stratified seeded samples; :mod:`.config` holds the settings.
Segment 0 (customers without activity) is assigned by a rule, not by the model: it gets one fixed
reason, ``has_activity`` (method ``rule``), and no SHAP value or tree rule.
"""
