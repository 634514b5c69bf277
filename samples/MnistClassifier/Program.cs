// The main job: trains LitClassifier on MNIST, tests the best checkpoint, and reloads it. --help lists the options:
//   dotnet run --project samples/MnistClassifier -c Release [-- --max-epochs N --data-dir DIR --num-workers N --devices N ...]
return MnistClassifier.MnistSample.Run(args);
