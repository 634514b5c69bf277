using System.Collections.Generic;

namespace LitGen;

/// <summary>A dataloader that can start an epoch after its first batches without building them (a mid-epoch resume).</summary>
internal interface ISkippableLoader<TBatch>
{
    /// <summary>Enumerates the epoch from batch <paramref name="skipBatches"/> on.</summary>
    IEnumerator<TBatch> GetEnumerator(int skipBatches);
}
