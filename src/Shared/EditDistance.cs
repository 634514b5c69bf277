// The "did you mean" distance: linked into LitGen.Runtime (LitCli's unknown options) and LitGen.Analyzers (LIT0007's
// unknown monitor keys), so both suggest the same way.
using System;
using System.Linq;

#if LITGEN_RUNTIME
namespace LitGen;
#else
namespace LitGen.Shared;
#endif

internal static class EditDistance
{
    /// <summary>The Levenshtein distance: the fewest single-character insertions, deletions and substitutions from <paramref name="a"/> to <paramref name="b"/>.</summary>
    public static int Between(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            previous = current;
        }
        return previous[b.Length];
    }

    /// <summary>
    /// The candidate whose <paramref name="text"/> is nearest to <paramref name="key"/>, when it is near enough to be what
    /// was meant (within a third of the key's length, and at least 2: a typo, not another word); otherwise null.
    /// </summary>
    public static T? Suggest<T>(string key, System.Collections.Generic.IEnumerable<T> candidates, Func<T, string> text) where T : class
    {
        T? nearest = null;
        int distance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            int d = Between(key, text(candidate));
            if (d < distance) (nearest, distance) = (candidate, d);
        }
        return distance <= Math.Max(2, key.Length / 3) ? nearest : null;
    }
}
