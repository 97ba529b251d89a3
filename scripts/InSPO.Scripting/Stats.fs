module InSPO.Scripting.Stats

// Statistics for tables: mean ± sample std over seeds and the two-sided Welch t-test (SPEC 4).

open MathNet.Numerics.Distributions

/// Arithmetic mean; NaN for no samples.
let mean (xs: float list) = if List.isEmpty xs then nan else List.average xs

/// Sample variance (divisor n − 1). 0 for a single sample: one seed shows no spread, and tables
/// print it as ± 0.00 (the test below treats n = 1 as untestable, not as certain).
let variance (xs: float list) =
    match xs with
    | [] -> nan
    | [ _ ] -> 0.0
    | _ ->
        let m = mean xs
        (xs |> List.sumBy (fun x -> (x - m) * (x - m))) / float (xs.Length - 1)

/// Sample standard deviation (divisor n − 1); 0 for a single sample.
let std xs = sqrt (variance xs)

/// Result of a two-sided Welch t-test of H0: both groups have the same mean.
type WelchTest =
    { T: float
      /// Welch–Satterthwaite degrees of freedom.
      Df: float
      /// Two-sided p-value; NaN when the test is undefined.
      P: float }

/// Two-sided Welch t-test (unequal variances) with Welch–Satterthwaite degrees of freedom,
/// p = 2·F(−|t|) with F the Student-t CDF (MathNet.Numerics).
/// Edge cases:
/// - fewer than 2 samples in either group: no variance estimate, the test is undefined → T, Df, P = NaN;
/// - both groups with zero variance: the difference is exact → P = 1 if the means are equal
///   (T = 0, Df = n₁ + n₂ − 2) and P = 0 otherwise (T = ±∞, Df = n₁ + n₂ − 2);
/// - one group with zero variance: the ordinary formula applies (Df reduces to n − 1 of the other group).
let welch (xs: float list) (ys: float list) =
    let n1, n2 = float xs.Length, float ys.Length
    if xs.Length < 2 || ys.Length < 2 then
        { T = nan; Df = nan; P = nan }
    else
        let m1, m2 = mean xs, mean ys
        let s1, s2 = variance xs / n1, variance ys / n2
        if s1 + s2 = 0.0 then
            let df = n1 + n2 - 2.0
            if m1 = m2 then { T = 0.0; Df = df; P = 1.0 }
            else { T = (if m1 > m2 then infinity else -infinity); Df = df; P = 0.0 }
        else
            let t = (m1 - m2) / sqrt (s1 + s2)
            let df = (s1 + s2) ** 2.0 / (s1 * s1 / (n1 - 1.0) + s2 * s2 / (n2 - 1.0))
            { T = t; Df = df; P = 2.0 * StudentT.CDF(0.0, 1.0, df, -(abs t)) }

/// True when the Welch test rejects equal means at level alpha (two-sided). An undefined test
/// (a group with fewer than 2 samples) rejects nothing.
let significantlyDifferent alpha xs ys =
    let r = welch xs ys
    not (System.Double.IsNaN r.P) && r.P < alpha
