namespace InSPO.Data;

/// <summary>
/// A dataset or .npy file that cannot be read as stored. The message is always one line that
/// names the file (or dataset folder) and the problem, so a CLI can print it as is.
/// </summary>
public sealed class DatasetFormatException : Exception
{
    public DatasetFormatException(string message) : base(OneLine(message)) { }

    public DatasetFormatException(string message, Exception inner) : base(OneLine(message), inner) { }

    /// <summary>Messages of wrapped exceptions (JSON, IO) may span lines; a one-line report must not.</summary>
    internal static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
