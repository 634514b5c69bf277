using System.ComponentModel;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LitGen;

/// <summary>
/// A LitGen module that is also a function of its input (Lightning's <c>forward</c> / <c>self(x)</c>): it implements
/// TorchSharp's <c>IModule&lt;TInput, TOutput&gt;</c>, composes into TorchSharp models through <see cref="AsModule"/>, and
/// predicts by default by calling <see cref="forward"/> on each batch, as Lightning's default <c>predict_step</c> does.
/// </summary>
/// <typeparam name="TBatch">What one dataloader item is.</typeparam>
/// <typeparam name="TInput">What <see cref="forward"/> takes.</typeparam>
/// <typeparam name="TOutput">What <see cref="forward"/> returns.</typeparam>
public abstract class LightningModule<TBatch, TInput, TOutput> : LightningModule<TBatch>, IModule<TInput, TOutput>
{
    /// <summary>The module's computation.</summary>
    public abstract TOutput forward(TInput input);

    /// <summary>Calls <see cref="forward"/> (TorchSharp's <c>IModule.call</c>).</summary>
    public TOutput call(TInput input) => forward(input);

    /// <summary>
    /// Calls <see cref="forward"/> on the batch when the batch is <typeparamref name="TInput"/> and the output a tensor,
    /// as Lightning's default <c>predict_step</c> calls <c>self(batch)</c>; override it for other shapes.
    /// </summary>
    public override Tensor PredictStep(TBatch batch, int batchIdx) => batch is TInput input && forward(input) is Tensor output
        ? output
        : throw new MisconfigurationException(
            $"{GetType().Name} predicts by calling forward on each batch, but its batches ({typeof(TBatch).Name}) are not forward's input " +
            $"({typeof(TInput).Name}) or forward returns no tensor; override PredictStep.");

    internal override object? ForwardExample(object input) => input is TInput typed
        ? forward(typed)
        : throw new MisconfigurationException($"{GetType().Name}.ExampleInputArray is a {input.GetType().Name}, but forward takes {typeof(TInput).Name}.");

    /// <summary>This module as a TorchSharp <c>Module&lt;TInput, TOutput&gt;</c>, to use inside other models (e.g. <c>Sequential</c>).</summary>
    public Module<TInput, TOutput> AsModule() => new ForwardModule(this);

    [EditorBrowsable(EditorBrowsableState.Never)]
    private sealed class ForwardModule : Module<TInput, TOutput>
    {
        private readonly LightningModule<TBatch, TInput, TOutput> inner;

        public ForwardModule(LightningModule<TBatch, TInput, TOutput> inner) : base(inner.GetType().Name)
        {
            this.inner = inner;
            register_module("module", inner);
        }

        public override TOutput forward(TInput input) => inner.forward(input);
    }
}
