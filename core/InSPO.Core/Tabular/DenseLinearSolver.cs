namespace InSPO.Tabular;

/// <summary>Gaussian elimination with partial pivoting for the small systems of exact policy evaluation.</summary>
public static class DenseLinearSolver
{
    /// <summary>Solves A x = b for a square row-major A (n × n). Inputs are not modified.</summary>
    public static double[] Solve(double[] matrix, double[] rhs)
    {
        int n = rhs.Length;
        if (matrix.Length != n * n) throw new ArgumentException($"matrix has {matrix.Length} entries, expected {n * n}");
        var a = (double[])matrix.Clone();
        var x = (double[])rhs.Clone();
        for (int col = 0; col < n; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < n; r++)
                if (Math.Abs(a[r * n + col]) > Math.Abs(a[pivot * n + col])) pivot = r;
            if (Math.Abs(a[pivot * n + col]) < 1e-300) throw new InvalidOperationException("singular system in policy evaluation");
            if (pivot != col)
            {
                for (int k = 0; k < n; k++) (a[col * n + k], a[pivot * n + k]) = (a[pivot * n + k], a[col * n + k]);
                (x[col], x[pivot]) = (x[pivot], x[col]);
            }
            for (int r = col + 1; r < n; r++)
            {
                double f = a[r * n + col] / a[col * n + col];
                if (f == 0) continue;
                for (int k = col; k < n; k++) a[r * n + k] -= f * a[col * n + k];
                x[r] -= f * x[col];
            }
        }
        for (int r = n - 1; r >= 0; r--)
        {
            double sum = x[r];
            for (int k = r + 1; k < n; k++) sum -= a[r * n + k] * x[k];
            x[r] = sum / a[r * n + r];
        }
        return x;
    }
}
