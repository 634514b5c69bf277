using System;

namespace LitGen;

/// <summary>
/// Lightning's <c>rank_zero_info</c>/<c>rank_zero_warn</c>: messages written once per job, by the process of rank 0.
/// The rank comes from the MPI launcher's environment, so it is known before any trainer exists.
/// </summary>
public static class RankZero
{
    /// <summary>True on rank 0, and in a process not started by an MPI launcher.</summary>
    public static bool IsGlobalZero => MpiLauncher.GlobalRank == 0;

    /// <summary>Writes <paramref name="message"/> to standard output on rank 0 only.</summary>
    public static void Print(string message)
    {
        if (IsGlobalZero) Console.WriteLine(message);
    }

    /// <summary>Writes <paramref name="message"/> as a warning to standard error on rank 0 only.</summary>
    public static void Warn(string message)
    {
        if (IsGlobalZero) Console.Error.WriteLine("Warning: " + message);
    }
}
