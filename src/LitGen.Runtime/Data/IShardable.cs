using System.Collections.Generic;

namespace LitGen;

/// <summary>
/// A dataloader the ddp strategy can split among processes (Lightning's automatic <c>DistributedSampler</c>): process
/// <c>rank</c> of <c>worldSize</c> takes positions rank, rank + worldSize, … of the epoch's global order.
/// </summary>
internal interface IShardable<TBatch>
{
    /// <summary>
    /// This process's part of every epoch. <paramref name="padToEqualLength"/> repeats samples from the start of the order
    /// so that every process gets as many (training: every process must take the same number of optimizer steps);
    /// validation, test and prediction take each sample exactly once (the loops agree on when they end).
    /// </summary>
    IEnumerable<TBatch> Shard(int rank, int worldSize, bool padToEqualLength);
}

/// <summary>The split of the ddp strategy's dataloaders.</summary>
internal static class DistributedSampling
{
    /// <summary>
    /// Process <paramref name="rank"/>'s part of <paramref name="loader"/>: padded to equal length for training (Lightning's
    /// DistributedSampler); for evaluation and prediction every sample once (Lightning's UnrepeatedDistributedSampler,
    /// which Lightning uses for prediction only: its validation and test count the padding). A loader that cannot be split is refused.
    /// </summary>
    public static IEnumerable<TBatch> Shard<TBatch>(IEnumerable<TBatch> loader, int rank, int worldSize, Stage stage)
        => loader is IShardable<TBatch> shardable
            ? shardable.Shard(rank, worldSize, padToEqualLength: stage == Stage.Fit)
            : throw new MisconfigurationException(
                $"Under strategy \"ddp\" every process trains on its own part of the data, and LitGen cannot split a {loader.GetType().Name}. " +
                "Use LitGen's DataLoader (split automatically, in the same global order as one process), or split the data yourself " +
                "(for example by module.GlobalRank) and set TrainerOptions.UseDistributedSampler = false.");
}
