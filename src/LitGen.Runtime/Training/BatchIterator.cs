using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;

namespace LitGen;

/// <summary>
/// Enumerates at most <c>limit</c> batches of a dataloader inside the caller's per-batch dispose scopes and knows
/// whether the current batch is the last one (Lightning's <c>is_last_batch</c>): from the dataloader's length when it
/// has one, else by fetching one batch ahead, whose tensors are moved into the scope of the step that uses them.
/// A resumed epoch starts after its first <c>skip</c> batches: a LitGen DataLoader does not even build them, any other
/// dataloader's are drawn and freed one by one.
/// </summary>
internal sealed class BatchIterator<TBatch> : IDisposable
{
    private readonly IEnumerator<TBatch> source;
    private readonly int? total;
    private bool hasPending;
    private TBatch pending = default!;
    private List<IDisposable>? pendingDisposables;
    private bool started;

    public BatchIterator(IEnumerable<TBatch> loader, int? total, int skip = 0)
    {
        this.total = total;
        if (skip > 0 && loader is ISkippableLoader<TBatch> skippable)
        {
            source = skippable.GetEnumerator(skip);
            Index = skip - 1;
            return;
        }
        source = loader.GetEnumerator();
        for (; Index + 1 < skip; Index++)
        {
            using var scope = torch.NewDisposeScope();
            if (!source.MoveNext()) break;
        }
    }

    public TBatch Current { get; private set; } = default!;

    /// <summary>The index of <see cref="Current"/> in the epoch.</summary>
    public int Index { get; private set; } = -1;

    /// <summary>Whether <see cref="Current"/> is the epoch's last batch.</summary>
    public bool IsLast { get; private set; }

    /// <summary>Advances; call it inside the dispose scope of the step that will use the batch.</summary>
    public bool MoveNext(DisposeScope stepScope)
    {
        if (total is int count)
        {
            if (Index + 1 >= count || !source.MoveNext()) return false;
            Index++;
            Current = source.Current;
            IsLast = Index == count - 1;
            return true;
        }

        if (!started)
        {
            started = true;
            FetchAhead();
        }
        if (!hasPending) return false;
        Index++;
        Current = pending;
        if (pendingDisposables is { Count: > 0 }) stepScope.Attach(pendingDisposables);
        pendingDisposables = null;
        FetchAhead();
        IsLast = !hasPending;
        return true;
    }

    private void FetchAhead()
    {
        using var scope = torch.NewDisposeScope();
        hasPending = source.MoveNext();
        pending = hasPending ? source.Current : default!;
        if (scope.DisposablesCount == 0) return;
        pendingDisposables = scope.DisposablesView.ToList();
        scope.Detach(pendingDisposables);
    }

    public void Dispose()
    {
        if (pendingDisposables is not null)
            foreach (var disposable in pendingDisposables) disposable.Dispose();
        source.Dispose();
    }
}
