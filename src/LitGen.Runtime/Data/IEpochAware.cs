namespace LitGen;

/// <summary>
/// A dataloader whose order depends on the epoch (Lightning's <c>sampler.set_epoch</c>). The trainer sets the epoch
/// before enumerating it, so a resumed run visits the same batches as an uninterrupted one.
/// </summary>
public interface IEpochAware
{
    /// <summary>Sets the epoch of the next enumeration.</summary>
    void SetEpoch(int epoch);
}
