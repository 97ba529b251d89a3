module InSPO.Scripting.PaperTargets

// Values the paper reports (SPEC 7), printed BESIDE our results as targets, never in their place.

/// Table 1 (XOR, per-step return, mean ± std over 5 seeds), by dataset then algorithm.
let table1 =
    Map [ "a", Map [ "BC", "0.00±0.01"; "OMAR", "1.00±0.00"; "AlberDICE", "1.00±0.00"; "CFCQL", "-0.64±0.71"; "OMIGA", "0.00±0.01"; "InSPO", "1.00±0.00" ]
          "b", Map [ "BC", "0.23±0.01"; "OMAR", "-2.00±0.00"; "AlberDICE", "1.00±0.00"; "CFCQL", "-0.38±0.11"; "OMIGA", "0.21±0.03"; "InSPO", "1.00±0.00" ]
          "c", Map [ "BC", "0.00±0.01"; "OMAR", "0.00±0.00"; "AlberDICE", "1.00±0.00"; "CFCQL", "-0.73±0.48"; "OMIGA", "0.05±0.00"; "InSPO", "1.00±0.00" ] ]

/// Table 2 (M-NE): the paper gives a qualitative claim only.
let table2 =
    Map [ "imbalanced", "only InSPO finds (C,C) = 20"
          "balanced", "most methods find (C,C) = 20" ]
