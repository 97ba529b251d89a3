module InSPO.Scripting.SearchGrids

// The hyperparameter search grids of Tables 1–3 as declarations, by the engine's hyperparameter names;
// Sweep.fs runs them. The InSPO paper tunes its baselines on grids given in its Appendix C.4, which we could
// not obtain (the arXiv HTML and the authors' repository, which holds only a README, were searched); the
// grids below span each method's own published settings instead, and each says where its values come from.

/// A search grid for one algorithm (every combination is a candidate) and where its values come from.
type SearchGrid =
    { Algorithm: string
      Grid: (string * float list) list
      Source: string }

/// OMAR's CQL weight: 1 (OMAR's main.py default) and 5 (the discrete OMAR in CFCQL's repository,
/// baseline_omar.yaml), with 0.1 below them.
let omar =
    { Algorithm = "omar"
      Grid = [ "cql", [ 0.1; 1.0; 5.0 ] ]
      Source = "OMAR main.py (cql_alpha 1.0); CFCQL repo baseline_omar.yaml (cql_alpha 5.0)" }

/// CFCQL's CQL weight × softmax temperature: the values of the CFCQL README's per-task table
/// (global_cql_alpha ∈ {0.1, 0.5, 5, 50}, softmax_temp ∈ {0, 0.1, 0.5, 1}; 100 there means argmax).
let cfcql =
    { Algorithm = "cfcql"
      Grid = [ "cql_alpha", [ 0.1; 0.5; 5.0; 50.0 ]; "softmax_temp", [ 0.0; 0.5; 1.0 ] ]
      Source = "CFCQL README, per-map table of global_cql_alpha / softmax_temp" }

/// OMIGA's regularisation temperature α: 10 is OMIGA's fixed value (trainer_omiga.py, OMIGA.py); smaller
/// values are the "relaxed" setting of the InSPO paper's Figure 3.
let omiga =
    { Algorithm = "omiga"
      Grid = [ "alpha", [ 0.1; 1.0; 10.0 ] ]
      Source = "OMIGA repo (alpha = 10 hard-coded); relaxed values below it (InSPO paper, Figure 3)" }

/// InSPO's α × β₀: β₀ ∈ {0, 5, 10} is SPEC 3's set, with XOR's default 1 added; α spans the per-game defaults
/// (0.1 for XOR, 1 for M-NE and Bridge). D̄_KL only matters with auto-tuned α, which the α ablation (Table 5) studies, so the tables' sweep
/// keeps α fixed.
let inspo =
    { Algorithm = "inspo"
      Grid = [ "alpha", [ 0.1; 1.0; 5.0 ]; "beta0", [ 0.0; 1.0; 5.0; 10.0 ] ]
      Source = "SPEC 3 (β₀ ∈ {0, 5, 10}) and XOR's β₀ = 1; α around the per-game defaults of InspoOptions" }

/// Every grid, in the tables' column order.
let all = [ omar; cfcql; omiga; inspo ]
