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

/// Table 3 (Bridge): the paper gives a qualitative claim only.
let table3 =
    Map [ "optimal", "only InSPO and AlberDICE near-optimal"
          "mixed", "only InSPO and AlberDICE near-optimal" ]

/// Table 4 (StarCraft II win rate, the real game: compare the ordering of methods, not values), by map,
/// dataset, then algorithm (BC, OMAR, CFCQL, OMIGA, InSPO).
let table4 =
    let algorithms = [ "BC"; "OMAR"; "CFCQL"; "OMIGA"; "InSPO" ]
    let row (values: string list) = Map(List.zip algorithms values)
    Map [ "2s3z", Map [ "medium", row [ ".16"; ".15"; ".40"; ".23"; ".23" ]
                        "medium-replay", row [ ".33"; ".24"; ".55"; ".42"; ".58" ]
                        "expert", row [ ".97"; ".95"; ".99"; ".98"; ".99" ]
                        "mixed", row [ ".44"; ".60"; ".84"; ".62"; ".85" ] ]
          "3s_vs_5z", Map [ "medium", row [ ".08"; ".00"; ".28"; ".02"; ".17" ]
                            "medium-replay", row [ ".01"; ".00"; ".12"; ".02"; ".10" ]
                            "expert", row [ ".98"; ".64"; ".99"; ".98"; ".99" ]
                            "mixed", row [ ".21"; ".00"; ".60"; ".20"; ".78" ] ]
          "5m_vs_6m", Map [ "medium", row [ ".28"; ".19"; ".29"; ".25"; ".28" ]
                            "medium-replay", row [ ".18"; ".03"; ".22"; ".16"; ".24" ]
                            "expert", row [ ".82"; ".33"; ".84"; ".74"; ".79" ]
                            "mixed", row [ ".21"; ".10"; ".76"; ".38"; ".78" ] ]
          "6h_vs_8z", Map [ "medium", row [ ".40"; ".04"; ".41"; ".34"; ".43" ]
                            "medium-replay", row [ ".11"; ".00"; ".21"; ".11"; ".23" ]
                            "expert", row [ ".60"; ".01"; ".70"; ".54"; ".74" ]
                            "mixed", row [ ".27"; ".00"; ".49"; ".36"; ".60" ] ] ]

/// Table 6 (InSPO win rate by update order random / fixed / semi-greedy), by map, dataset, then order.
let table6 =
    let orders = [ "random"; "fixed"; "semi-greedy" ]
    let row (values: string list) = Map(List.zip orders values)
    Map [ "5m_vs_6m", Map [ "medium", row [ ".28"; ".29"; ".28" ]
                            "medium-replay", row [ ".24"; ".25"; ".27" ]
                            "expert", row [ ".79"; ".84"; ".81" ]
                            "mixed", row [ ".78"; ".78"; ".78" ] ]
          "6h_vs_8z", Map [ "medium", row [ ".43"; ".39"; ".42" ]
                            "medium-replay", row [ ".23"; ".23"; ".17" ]
                            "expert", row [ ".74"; ".72"; ".71" ]
                            "mixed", row [ ".60"; ".62"; ".65" ] ] ]

/// What an experiment prints beside its own numbers: per dataset and column label a reported value
/// ("mean±std" as the paper prints it), and per dataset a note for claims the paper makes in words.
type PaperTable =
    { /// Where the values come from, e.g. "paper Table 1".
      Source: string
      /// Dataset → column label (e.g. "InSPO") → value as printed in the paper.
      Values: Map<string, Map<string, string>>
      /// Dataset → qualitative claim.
      Notes: Map<string, string> }

/// No paper values (a new experiment).
let none = { Source = ""; Values = Map.empty; Notes = Map.empty }

/// The paper's value for a dataset and column, if it reports one.
let value (paper: PaperTable) dataset label =
    paper.Values |> Map.tryFind dataset |> Option.bind (Map.tryFind label)

/// Table 1 (XOR) as a PaperTable.
let xor = { Source = "paper Table 1"; Values = table1; Notes = Map.empty }

/// Table 2 (M-NE) as a PaperTable (claims only).
let mne = { Source = "paper Table 2"; Values = Map.empty; Notes = table2 }

/// Table 3 (Bridge) as a PaperTable (claims only).
let bridge = { Source = "paper Table 3"; Values = Map.empty; Notes = table3 }

/// Table 4 for one SMAC map as a PaperTable (StarCraft II numbers: compare the ordering only).
let smac map = { Source = sprintf "paper Table 4, %s (StarCraft II)" map; Values = table4.[map]; Notes = Map.empty }

/// The real SMAC datasets' episode return, mean ± std (OG-MARL's data card of the CFCQL files; notes,
/// smac-datasets.md), by map then tier: what our SMAC-lite tiers' cards are printed beside.
let smacDataCards =
    Map [ "2s3z", Map [ "medium", "12.76 ± 3.32"; "expert", "19.97 ± 0.37"; "medium-replay", "7.94 ± 3.41 (1976 episodes)"; "mixed", "16.39 ± 4.33" ]
          "3s_vs_5z", Map [ "medium", "20.86 ± 3.47"; "expert", "21.19 ± 0.70"; "medium-replay", "18.85 ± 4.20"; "mixed", "21.04 ± 2.51" ]
          "5m_vs_6m", Map [ "medium", "12.05 ± 4.36"; "expert", "18.17 ± 3.79"; "medium-replay", "9.02 ± 2.59"; "mixed", "15.11 ± 5.11" ]
          "6h_vs_8z", Map [ "medium", "16.63 ± 3.03"; "expert", "19.01 ± 2.11"; "medium-replay", "12.97 ± 2.22"; "mixed", "17.81 ± 2.88" ] ]
