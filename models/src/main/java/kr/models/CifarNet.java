package kr.models;

/** What every zoo network shares: its class count and the MACs counted while it was built. */
abstract class CifarNet extends Classifier {
    private final int numClasses;
    private long macs = -1;

    CifarNet(int numClasses) {
        if (numClasses < 1) throw new IllegalArgumentException("[models] number of classes must be positive, got " + numClasses);
        this.numClasses = numClasses;
    }

    /** Records the cost counted by {@code a}; called once the last layer is built. */
    void built(Arch a) {
        macs = a.macs();
    }

    @Override
    public int numClasses() {
        return numClasses;
    }

    @Override
    public long macs() {
        return macs;
    }
}
